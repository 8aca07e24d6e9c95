"""An HTTP server on 127.0.0.1 that behaves like eogdata.mines.edu, for tests over real sockets.

`TreeServer` serves files from memory with Apache-like index pages for every folder, HTTP Range requests
(206, If-Range), a login wall (no valid bearer token or session cookie: a 302 to an HTML login page
answered with 200, as EOG does), an OAuth2 password-grant token endpoint, and faults queued per path:

- "500": an HTTP 500 answer; "401": an HTTP 401 answer (whatever the credentials);
- "cut": headers with the full Content-Length, half the body, then the connection closed;
- "truncated_gzip": the full length, but the second half of the bytes zeroed (a broken gzip stream);
- "slow": a sleep of `slow_s` before answering (beyond the client's timeout), then the normal answer.

Every request is recorded in `hits`, so tests can say what was (not) downloaded.

`eog_tree(nightlights_dir)` turns an EOG-named local folder (the demo region's `nightlights/`) into the
two published layouts: `monthly/v10/...` with one `.tgz` per tile (plus tiles elsewhere on the globe and
`vcmslcfg` folders, which a client must not download) and `monthly_notile/v10/...` with the global
`.tif.gz` layers (plus the `avg_rade9h.masked` and `cvg` layers it must not download).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import html
import itertools
import json
import socket
import tarfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import numpy as np

from sacnn_dagster.demo.writers import geotiff_bytes, gzip_bytes, tgz_bytes
from sacnn_dagster.geo.grid import lattice_window
from sacnn_dagster.nightlights.eog_names import CompositeName, parse_composite_name

TOKEN_PATH = "/auth/realms/master/protocol/openid-connect/token"
LOGIN_PATH = "/auth/realms/master/protocol/openid-connect/auth"
LOGIN_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to master</title></head>
<body><div id="kc-form"><form id="kc-form-login" action="/auth/realms/master/login-actions/authenticate" method="post">
<label for="username">Username or email</label><input id="username" name="username" type="text" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="off">
<input name="login" id="kc-login" type="submit" value="Sign In"></form></div></body></html>
"""
FAULTS = ("500", "401", "cut", "truncated_gzip", "slow")
TILED, NOTILE = "nighttime_light/monthly/v10", "nighttime_light/monthly_notile/v10"
#: Tiles a Shanghai area of interest does not touch: listed, never to be downloaded.
OTHER_TILES = ("75N060W", "00N060E")


@dataclass(frozen=True)
class Hit:
    method: str
    path: str
    status: int
    range: str | None


class TreeServer:
    """Serves `files` (path without leading slash -> bytes) on 127.0.0.1, port chosen by the system.
    `protected` path prefix: requests there need a token in `tokens` or the cookie `cookie`; `users`:
    user name -> password accepted by the token endpoint. Use as a context manager."""

    def __init__(
        self,
        files: dict[str, bytes],
        *,
        protected: str | None = None,
        tokens: tuple[str, ...] = (),
        cookie: str | None = None,
        users: dict[str, str] | None = None,
        slow_s: float = 1.0,
    ):
        self.files = files
        self.folders = _folders(files)
        self.protected = protected
        self.tokens = set(tokens)
        self.cookie = cookie
        self.users = users or {}
        self.slow_s = slow_s
        self.hits: list[Hit] = []
        self.faults: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._issued = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.app = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> TreeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # -- test controls ------------------------------------------------------------------------------

    def fail(self, path: str, *faults: str) -> None:
        """Queue faults for the next requests of `path` (one fault per request, then normal answers)."""
        assert set(faults) <= set(FAULTS), faults
        self.faults.setdefault("/" + path.lstrip("/"), []).extend(faults)

    def publish(self, files: dict[str, bytes]) -> None:
        """Add (or replace) files, and the folders they sit in, as EOG publishing a month or a reprocessing."""
        with self._lock:
            self.files.update(files)
            self.folders = _folders(self.files)

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self.faults.clear()

    def downloads(self) -> list[str]:
        """Paths of files (not index pages) sent with 200 or 206, in request order."""
        return [
            h.path
            for h in self.hits
            if h.method == "GET" and h.path.lstrip("/") in self.files and h.status in (200, 206)
        ]

    def issue_token(self) -> str:
        token = f"granted-{next(self._issued)}-{hashlib.sha256(str(time.time()).encode()).hexdigest()[:12]}"
        self.tokens.add(token)
        return token

    # -- answering ----------------------------------------------------------------------------------

    def _record(self, handler, status: int) -> None:
        with self._lock:
            self.hits.append(Hit(handler.command, urlsplit(handler.path).path, status, handler.headers.get("Range")))

    def _next_fault(self, path: str) -> str | None:
        with self._lock:
            queue = self.faults.get(path)
            return queue.pop(0) if queue else None

    def _authorized(self, handler) -> bool:
        auth = handler.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[len("Bearer ") :] in self.tokens:
            return True
        cookies = dict(c.strip().partition("=")[::2] for c in handler.headers.get("Cookie", "").split(";") if c)
        return self.cookie is not None and cookies.get("mod_auth_openidc_session") == self.cookie

    def answer(self, handler) -> None:
        path = unquote(urlsplit(handler.path).path)
        if handler.command == "POST" and path == TOKEN_PATH:
            return self._token(handler)
        if path == LOGIN_PATH:
            return self._send(handler, 200, LOGIN_PAGE, "text/html; charset=utf-8")
        fault = self._next_fault(path)
        if fault == "slow":
            time.sleep(self.slow_s)
        if fault in ("500", "401"):
            return self._send(handler, int(fault), b"<html><body>Error</body></html>", "text/html")
        if self.protected and path.lstrip("/").startswith(self.protected) and not self._authorized(handler):
            return self._send(handler, 302, b"", "text/html", {"Location": f"{LOGIN_PATH}?client_id=eogdata_oidc"})
        key = path.lstrip("/")
        if key in self.files:
            return self._file(handler, self.files[key], fault)
        if key.rstrip("/") in self.folders or key == "":
            if not path.endswith("/"):
                return self._send(handler, 301, b"", "text/html", {"Location": path + "/"})
            return self._send(handler, 200, self._index(path), "text/html;charset=UTF-8")
        return self._send(handler, 404, b"<html><body>Not Found</body></html>", "text/html")

    def _token(self, handler) -> None:
        length = int(handler.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        ok = (
            form.get("grant_type") == "password"
            and form.get("client_id") == "eogdata_oidc"
            and self.users.get(form.get("username")) == form.get("password")
        )
        if not ok:
            body = {"error": "invalid_grant", "error_description": "Invalid user credentials"}
            return self._send(handler, 401, json.dumps(body).encode(), "application/json")
        body = {"access_token": self.issue_token(), "expires_in": 86400, "token_type": "Bearer"}
        self._send(handler, 200, json.dumps(body).encode(), "application/json")

    def _file(self, handler, data: bytes, fault: str | None) -> None:
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Last-Modified": "Mon, 03 Feb 2020 10:00:00 GMT", "Accept-Ranges": "bytes"}
        content_type = "application/x-gzip" if handler.path.endswith((".gz", ".tgz")) else "application/octet-stream"
        status, start = 200, 0
        wanted = handler.headers.get("Range", "")
        if wanted.startswith("bytes=") and handler.headers.get("If-Range", etag) == etag:
            start = int(wanted[len("bytes=") :].split("-")[0])
            if start >= len(data):
                return self._send(handler, 416, b"", "text/plain", {"Content-Range": f"bytes */{len(data)}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        if fault == "truncated_gzip":
            body = body[: len(body) // 2] + bytes(len(body) - len(body) // 2)
        if fault == "cut":
            return self._send(handler, status, body, content_type, headers, cut=True)
        self._send(handler, status, body, content_type, headers)

    def _send(
        self, handler, status: int, body: bytes, content_type: str, headers: dict | None = None, cut: bool = False
    ) -> None:
        self._record(handler, status)
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(body[: len(body) // 2] if cut else body)
            handler.wfile.flush()
            if cut:
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout): nothing to do
            handler.close_connection = True

    def _index(self, path: str) -> bytes:
        """An Apache mod_autoindex page: sort links, an absolute parent link, relative child links."""
        key = path.strip("/")
        prefix = f"{key}/" if key else ""
        children = sorted(
            {
                (rest.split("/")[0], "/" in rest)
                for f in self.files
                if f.startswith(prefix)
                for rest in [f[len(prefix) :]]
            }
        )
        parent = "/" + "/".join(key.split("/")[:-1]) + ("/" if "/" in key else "")
        rows = [f'<tr><td><a href="{html.escape(parent)}">Parent Directory</a></td><td>&nbsp;</td><td>-</td></tr>']
        for name, is_dir in children:
            shown = name + ("/" if is_dir else "")
            size = "-" if is_dir else str(len(self.files[prefix + name]))
            rows.append(
                f'<tr><td><a href="{quote(shown)}">{html.escape(shown)}</a></td>'
                f'<td align="right">2020-02-03 10:00  </td><td align="right">{size}</td></tr>'
            )
        page = (
            '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
            f"<html><head><title>Index of {html.escape(path)}</title></head><body>\n<h1>Index of {html.escape(path)}</h1>\n"
            '<table><tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th>'
            '<th><a href="?C=S;O=A">Size</a></th></tr>\n' + "\n".join(rows) + "\n</table></body></html>\n"
        )
        return page.encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms stalls

    def do_GET(self):
        self.server.app.answer(self)

    do_HEAD = do_POST = do_GET

    def log_message(self, *args):
        pass


def _folders(files: dict[str, bytes]) -> set[str]:
    return {"/".join(f.split("/")[:k]) for f in files for k in range(1, f.count("/") + 1)}


# -- the EOG tree ---------------------------------------------------------------------------------------


def _layers_of(path: Path, parsed: CompositeName) -> dict[str, bytes]:
    """The GeoTIFF layers (avg_rade9h, cf_cvg) in a local EOG file of any encoding."""
    if parsed.layer is not None:
        data = path.read_bytes()
        return {parsed.layer: gzip.decompress(data) if parsed.gzipped else data}
    with tarfile.open(path) as tar:
        return {layer: tar.extractfile(f"{parsed.stem}.{layer}.tif").read() for layer in ("avg_rade9h", "cf_cvg")}


def _month_folder(name: CompositeName) -> str:
    year, mm = name.month.split("-")
    satellite = {"j01": "NOAA-20/", "j02": "NOAA-21/"}.get(name.satellite, "")
    return f"{year}/{year}{mm}/{satellite}{name.config}"


def eog_tree(nightlights_dir: Path) -> dict[str, bytes]:
    """EOG's two published layouts (paths below the server root) of the composites in `nightlights_dir`."""
    versions: dict[CompositeName, dict[str, bytes]] = {}
    for path in sorted(nightlights_dir.rglob("SVDNB_*")):
        parsed = parse_composite_name(path.name)
        key = dataclasses.replace(parsed, tile="75N060E", layer=None, gzipped=False)
        versions.setdefault(key, {}).update(_layers_of(path, parsed))
    tiny = geotiff_bytes(np.zeros((2, 2), np.float32), lattice_window((60.0, 74.99, 60.01, 75.0)))
    files = {f"{TILED}/README_dnb_composites_v1.txt": b"VIIRS DNB monthly composites, version 1\n"}
    for name, layers in versions.items():
        slcfg = dataclasses.replace(name, config="vcmslcfg")
        for tile_name, tile_layers in (
            [(name, layers)]
            + [
                (dataclasses.replace(n, tile=t), {"avg_rade9h": tiny, "cf_cvg": tiny})
                for n in (name, slcfg)
                for t in OTHER_TILES
            ]
            + [(slcfg, {"avg_rade9h": tiny, "cf_cvg": tiny})]
        ):
            members = [(f"{tile_name.stem}.{layer}.tif", data) for layer, data in tile_layers.items()]
            files[f"{TILED}/{_month_folder(tile_name)}/{tile_name.stem}.tgz"] = tgz_bytes(members)
        glob = dataclasses.replace(name, tile="global")
        for layer, data in {**layers, "avg_rade9h.masked": tiny, "cvg": tiny}.items():
            inner = f"{glob.stem}.{layer}.tif"
            files[f"{NOTILE}/{_month_folder(glob)}/{inner}.gz"] = gzip_bytes(data, inner)
    return files
