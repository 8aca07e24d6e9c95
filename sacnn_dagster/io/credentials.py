"""Secrets for the remote sources. They only ever come from environment variables (through Dagster's
`EnvVar` in the code location) and never show in a repr, a log line, metadata or an error message."""

from __future__ import annotations

from dataclasses import dataclass, fields

#: field -> the environment variable it is read from. Error messages name the variable, never the value.
ENV_VARS = {
    "eog_username": "EOG_USERNAME",
    "eog_password": "EOG_PASSWORD",
    "eog_token": "EOG_TOKEN",
    "eog_session_cookie": "EOG_SESSION_COOKIE",
    "earthdata_token": "EARTHDATA_TOKEN",
    "aws_access_key_id": "AWS_ACCESS_KEY_ID",
    "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
    "aws_session_token": "AWS_SESSION_TOKEN",
}


@dataclass(frozen=True, repr=False)
class Credentials:
    """Whatever secrets are set; None for those that are not."""

    eog_username: str | None = None
    eog_password: str | None = None
    eog_token: str | None = None
    eog_session_cookie: str | None = None
    earthdata_token: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None

    def __repr__(self) -> str:
        present = [ENV_VARS[f.name] for f in fields(self) if getattr(self, f.name)]
        return f"Credentials(set: {', '.join(present) or 'none'})"

    __str__ = __repr__

    def secrets(self) -> list[str]:
        """The secret values that are set, so that text can be scrubbed of them (see `redact`)."""
        return [v for f in fields(self) if (v := getattr(self, f.name)) and f.name != "eog_username"]


def redact(text: str, credentials: Credentials | None) -> str:
    """`text` with every secret value replaced by `***` (a last line of defence for error messages that
    quote a server's answer or a URL)."""
    if credentials is None:
        return text
    for secret in sorted(credentials.secrets(), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
