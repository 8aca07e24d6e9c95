"""Which Dagster concurrency pool a region's composite downloads run in: one pool per source host, shared by
every region and run that downloads from it (README "Many regions": the limit is set on the instance)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from sacnn_dagster.config.nightlight_settings import NightlightSettings

POOL_PREFIX = "download_"


def download_pool(settings: NightlightSettings) -> str | None:
    """`download_<host>` (dots and other signs as `_`, e.g. `download_eogdata_mines_edu`) for a remote source;
    `download_s3_<bucket>` for S3; None for a local folder (nothing downloaded, no pool), `geotiff`'s included."""
    if settings.source == "local" or not settings.url or not settings.url.startswith(("s3://", "http://", "https://")):
        return None
    parsed = urlparse(settings.url)
    host = f"s3_{parsed.netloc}" if parsed.scheme == "s3" else parsed.hostname or parsed.netloc
    return POOL_PREFIX + re.sub(r"[^A-Za-z0-9]+", "_", host).strip("_").lower()
