"""A LAADS DAAC look-alike on 127.0.0.1 for tests: a real HTTP server in a thread that serves a folder as
the archive, with LAADS' JSON listings, its bearer-token check and its way of failing.

- `GET /archive/allData/5200/VNP46A3.json`, `.../VNP46A3/2014.json`, `.../2014/001.json`: the listing of a
  folder, `{"content": [{"name", "size", "last", "resourceType", "downloadsLink"}, ...]}` as LAADS' current
  archive answers (folders have size 0); `listing = "list"` gives the older bare list without links.
- `GET .../2014/001/<file>`: the file (Range requests honoured, so resumed downloads can be tested).
- Without `Authorization: Bearer <token>` every request gets `unauthorized`: by default LAADS' habit of an
  HTML login page with status 200; set it to a 401, or to a small non-HTML body. `public_listings` lets
  folder listings through without a token, as LAADS does for its upper levels.
- `hits` counts requests per path, so tests can check what was downloaded and what came from a cache.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Earthdata Login</title></head><body>"
    b"<form action='/login' method='post'>Username <input type='text' name='username'>"
    b"Password <input type='password' name='password'></form></body></html>"
)


class LaadsServer:
    def __init__(self, root: Path, token: str):
        self.root = root
        self.token = token
        self.hits: Counter[str] = Counter()
        self.reset()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def reset(self) -> None:
        """Back to LAADS' ways, with no request counted (between tests sharing the server)."""
        self.hits.clear()
        self.listing = "content"
        self.public_listings = False
        #: status, content type, body of the answer to a request without the right token
        self.unauthorized: tuple[int, str, bytes] = (200, "text/html; charset=utf-8", LOGIN_PAGE)

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def archive_url(self, archive_set: str = "5200") -> str:
        return f"{self.base}/archive/allData/{archive_set}/VNP46A3"

    def downloads(self) -> Counter[str]:
        """Requests for .h5 files, by file name."""
        return Counter({p.rsplit("/", 1)[-1]: n for p, n in self.hits.items() if p.endswith(".h5")})

    def __enter__(self) -> LaadsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _listing(self, folder: Path, url_path: str) -> bytes:
        entries = []
        for child in sorted(folder.iterdir()):
            stat = child.stat()
            entry = {
                "name": child.name,
                "size": 0 if child.is_dir() else stat.st_size,
                "last": datetime.fromtimestamp(stat.st_mtime, UTC).strftime("%Y-%m-%d %H:%M"),
                "resourceType": "Directory" if child.is_dir() else "File",
            }
            if self.listing == "content" and child.is_file():
                entry["downloadsLink"] = f"{self.base}{url_path}/{child.name}"
            entries.append(entry)
        return json.dumps({"content": entries} if self.listing == "content" else entries).encode()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet test output
                pass

            def do_HEAD(self):
                self._answer(head=True)

            def do_GET(self):
                self._answer(head=False)

            def _send(self, status: int, content_type: str, body: bytes, head: bool, extra=()):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in extra:
                    self.send_header(key, value)
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _answer(self, head: bool):
                path = urlsplit(self.path).path
                server.hits[path] += 1
                is_listing = path.endswith(".json")
                local = server.root / path.lstrip("/").removesuffix(".json")
                authorised = self.headers.get("Authorization") == f"Bearer {server.token}"
                if not authorised and not (is_listing and server.public_listings):
                    return self._send(*server.unauthorized, head)
                if is_listing and local.is_dir():
                    return self._send(200, "application/json", server._listing(local, path[:-5]), head)
                if not is_listing and local.is_file():
                    return self._file(local, head)
                self._send(404, "text/plain", b"Not Found", head)

            def _file(self, local: Path, head: bool):
                body = local.read_bytes()
                ranged = self.headers.get("Range", "")
                if ranged.startswith("bytes=") and ranged.endswith("-") and ranged[6:-1].isdigit():
                    start = int(ranged[6:-1])
                    extra = [("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")]
                    return self._send(206, "application/x-hdf5", body[start:], head, extra)
                self._send(200, "application/x-hdf5", body, head)

        return Handler
