"""Credentials for eogdata.mines.edu, turned into request headers.

EOG has had three ways in: a bearer token (documented; about 24 hours long), the browser session cookie
`mod_auth_openidc_session` (what projects report using since programmatic access moved to a paid tier),
and an OAuth2 password grant that issues a bearer token from a user name and password. They are tried in
that order of what is set; with a user name and password a refused or expired token is renewed by a new
grant. Nothing here ever puts a secret in a message.
"""

from __future__ import annotations

import os
import threading

import requests

from sacnn_dagster.io.credentials import ENV_VARS, Credentials, redact
from sacnn_dagster.io.download import AuthenticationError, TransientError

EOG_TOKEN_URL = "https://eogauth.mines.edu/auth/realms/master/protocol/openid-connect/token"
EOG_CLIENT_ID = "eogdata_oidc"
#: Overrides the token URL (a mirror, a test server) when the source is not given one.
TOKEN_URL_ENV = "EOG_TOKEN_URL"
SESSION_COOKIE = "mod_auth_openidc_session"
AUTH_HINT = (
    f"set {ENV_VARS['eog_token']}, or {ENV_VARS['eog_session_cookie']}, "
    f"or {ENV_VARS['eog_username']} and {ENV_VARS['eog_password']}"
)


class EogAuth:
    """`headers()` for every EOG request; `refresh()` obtains a new token by password grant (only
    possible when `can_refresh`)."""

    def __init__(self, credentials: Credentials, token_url: str | None = None, timeout_s: float = 60.0):
        self.credentials = credentials
        self.token_url = token_url or os.environ.get(TOKEN_URL_ENV) or EOG_TOKEN_URL
        self.timeout_s = timeout_s
        self._granted: str | None = None
        self._lock = threading.Lock()

    @property
    def can_refresh(self) -> bool:
        return bool(self.credentials.eog_username and self.credentials.eog_password)

    def headers(self) -> dict[str, str]:
        c = self.credentials
        if self._granted is None and not (c.eog_token or c.eog_session_cookie) and self.can_refresh:
            with self._lock:  # parallel first requests share one grant
                if self._granted is None:
                    self.refresh()
        if self._granted or c.eog_token:
            return {"Authorization": f"Bearer {self._granted or c.eog_token}"}
        if c.eog_session_cookie:
            return {"Cookie": f"{SESSION_COOKIE}={c.eog_session_cookie}"}
        return {}

    def refresh(self) -> None:
        """A new access token by OAuth2 password grant; it replaces any token or cookie from then on."""
        c = self.credentials
        resp = requests.post(
            self.token_url,
            data={
                "grant_type": "password",
                "client_id": EOG_CLIENT_ID,
                "username": c.eog_username,
                "password": c.eog_password,
            },
            timeout=self.timeout_s,
        )
        what = f"HTTP {resp.status_code}"
        if resp.status_code >= 500:
            raise TransientError(f"the EOG token service {self.token_url} failed ({what})")
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code != 200 or not body.get("access_token"):
            detail = redact(str(body.get("error_description") or body.get("error") or what), c)
            raise AuthenticationError(
                f"the EOG token service {self.token_url} refused {ENV_VARS['eog_username']} / "
                f"{ENV_VARS['eog_password']} ({detail}): check them, or {AUTH_HINT}"
            )
        self._granted = body["access_token"]
