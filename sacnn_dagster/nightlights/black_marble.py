"""NASA Black Marble VNP46A3 (monthly) from the LAADS DAAC archive as a night-light source.

    {url}.json                  the years          {url}/{YYYY}.json   the day-of-year folders
    {url}/{YYYY}/{DOY}.json     the month's tiles  (DOY: the month's first day, e.g. 2014/032 = 2014-02)
    {url}/{YYYY}/{DOY}/VNP46A3.A{YYYY}{DOY}.h{HH}v{VV}.{collection}.{processing stamp}.h5

A listing is LAADS' JSON: `{"content": [{"name", "size", "downloadsLink", ...}]}` (folders have size 0);
the older bare list of entries is accepted too. Only the tiles that share a pixel with the area are
downloaded, and a month counts as available only when every one of them is there. Its version is the
chosen tiles' names, whose processing stamps change when NASA reprocesses. Reading is `black_marble_tiles`.

LAADS wants an Earthdata bearer token (EARTHDATA_TOKEN) and answers a bad one with a login page (HTML,
sometimes with status 200) or a short body instead of the file; both become `AuthenticationError`s naming
the variable.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import numpy as np
from rasterio.features import geometry_mask

from sacnn_dagster.config.region import BLACK_MARBLE_URL
from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.credentials import Credentials, redact
from sacnn_dagster.io.download import AuthenticationError, Downloader, DownloadError, RemoteFileNotFound
from sacnn_dagster.nightlights.black_marble_tiles import (
    TileFile,
    TileSource,
    apply_quality,
    area_grid,
    folder_month,
    month_doy,
    parse_tile_name,
    quality_counts,
    read_mosaic,
    tiles_covering,
)
from sacnn_dagster.nightlights.composite_reader import Composite
from sacnn_dagster.nightlights.source import FetchedComposite, MonthNotAvailable, NightlightSource

AUTH_HINT = (
    "LAADS needs a valid Earthdata bearer token in EARTHDATA_TOKEN (https://urs.earthdata.nasa.gov, "
    "Profile > Generate Token; tokens expire after 60 days), and the LAADS DAAC application authorised "
    "once for your Earthdata account"
)
#: A real tile is tens of MB; anything under this is an error page, whatever its content type says.
MIN_TILE_BYTES = 10_000


@dataclass(frozen=True)
class ListedTile:
    file: TileFile
    url: str


class BlackMarbleSource(NightlightSource):
    """VNP46A3 tiles from LAADS (`settings`: a `NightlightSettings` with source `blackmarble`; its `layer`
    names the composite read, e.g. `NearNadir_Composite_Snow_Free`). `download_options` go to the
    `Downloader` (retries, backoff_s, timeout_s, log)."""

    def __init__(
        self,
        settings,
        aoi_bounds: tuple[float, float, float, float],
        credentials: Credentials | None = None,
        cache: CacheSettings | None = None,
        **download_options,
    ):
        self.url = (settings.url or BLACK_MARBLE_URL).rstrip("/")
        self.layer = settings.layer
        self.credentials = credentials or Credentials()
        self.tiles = tiles_covering(area_grid(aoi_bounds))
        self.workers = max(1, settings.max_concurrent_downloads)
        self.downloader = Downloader(
            cache,
            headers=self._headers,
            auth_hint=AUTH_HINT,
            secrets=self.credentials,
            max_concurrent=self.workers,
            **download_options,
        )
        self._listings: dict[str, list[dict]] = {}

    @property
    def location(self) -> str:
        return self.url

    def _headers(self) -> dict[str, str]:
        token = self.credentials.earthdata_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _listing(self, folder: str) -> list[dict]:
        """The entries of an archive folder ('' for the product, 'YYYY', 'YYYY/DOY'), read once per source;
        FileNotFoundError (RemoteFileNotFound) when the folder does not exist."""
        if folder not in self._listings:
            url = f"{self.url}/{folder}.json" if folder else f"{self.url}.json"
            text = self.downloader.get_text(url)
            if text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
                raise AuthenticationError(
                    f"{url}: LAADS answered with an HTML page instead of the listing; {AUTH_HINT}"
                )
            try:
                data = json.loads(text)
            except ValueError:
                raise ValueError(f"{url}: not a LAADS JSON listing: {redact(text[:120], self.credentials)!r}") from None
            entries = data.get("content") if isinstance(data, dict) else data
            if not isinstance(entries, list) or not all(isinstance(e, dict) and "name" in e for e in entries):
                raise ValueError(f"{url}: a LAADS listing should be {{'content': [{{'name': ...}}, ...]}}")
            self._listings[folder] = entries
        return self._listings[folder]

    def _file_url(self, entry: dict, folder_url: str) -> str:
        """LAADS' own download link when it stays on the archive's host (the token must not travel
        elsewhere), else the file's place under the folder."""
        link = entry.get("downloadsLink")
        if link:
            absolute = urljoin(folder_url + "/", link)
            if urlsplit(absolute)[:2] == urlsplit(self.url)[:2]:
                return absolute
        return f"{folder_url}/{entry['name']}"

    def month_tiles(self, month: str) -> dict[str, ListedTile]:
        """hXXvYY -> the month's file for that tile: the newest collection, then the newest processing
        stamp, should a folder hold several. {} when the archive has no folder for the month."""
        year, doy = month_doy(month)
        try:
            entries = self._listing(f"{year}/{doy}")
        except RemoteFileNotFound:
            return {}
        folder_url = f"{self.url}/{year}/{doy}"
        chosen: dict[str, ListedTile] = {}
        for entry in entries:
            parsed = parse_tile_name(str(entry["name"]))
            if parsed is None or parsed.month != month:
                continue
            current = chosen.get(parsed.tile)
            if current is None or (parsed.collection, parsed.stamp) > (current.file.collection, current.file.stamp):
                chosen[parsed.tile] = ListedTile(parsed, self._file_url(entry, folder_url))
        return chosen

    def forget_listings(self, settled_before: str | None = None) -> None:
        """Forget the listings read so far: all of them (None), or all but the day-of-year folders of months
        before `settled_before` that held every tile of the area (the product and year listings are
        always read again: a late month shows there)."""
        if settled_before is None:
            self._listings = {}
            return

        def settled(folder: str) -> bool:
            month = folder_month(folder)
            return month is not None and month < settled_before and set(self.tiles) <= set(self.month_tiles(month))

        self._listings = {f: v for f, v in list(self._listings.items()) if settled(f)}

    def _months_listed(self) -> list[str]:
        """Every month with a day-of-year folder in the archive (folders of other days are ignored)."""
        years = sorted(n for n in (str(e["name"]) for e in self._listing("")) if re.fullmatch(r"\d{4}", n))
        months = []
        with ThreadPoolExecutor(self.workers) as pool:
            for year, entries in zip(years, pool.map(self._listing, years)):
                doys = {str(e["name"]) for e in entries}
                months += [m for m in (f"{year}-{mm:02d}" for mm in range(1, 13)) if month_doy(m)[1] in doys]
        return months

    def available_months(self) -> dict[str, str]:
        months = self._months_listed()
        with ThreadPoolExecutor(self.workers) as pool:
            listed = dict(zip(months, pool.map(self.month_tiles, months)))
        return {
            month: _version([tiles[t] for t in self.tiles])
            for month, tiles in listed.items()
            if all(t in tiles for t in self.tiles)
        }

    def _download(self, month: str, listed: ListedTile) -> TileSource:
        try:
            path = self.downloader.fetch(listed.url, kind="hdf5")
        except DownloadError as exc:
            raise type(exc)(f"{month}: {exc}") from None
        size = path.stat().st_size
        if size < MIN_TILE_BYTES:
            path.unlink(missing_ok=True)  # not a tile: never serve it from the cache again
            raise AuthenticationError(
                f"{month}: {listed.url}: LAADS sent {size} bytes instead of a Black Marble tile, the sign of a "
                f"refused token; {AUTH_HINT}"
            )
        return TileSource(listed.file, path, listed.url)

    def fetch(self, month: str, aoi_geometry) -> FetchedComposite:
        grid = area_grid(aoi_geometry.bounds)
        needed = tiles_covering(grid)
        listed = self.month_tiles(month)
        missing = [t for t in needed if t not in listed]
        if missing:
            year, doy = month_doy(month)
            raise MonthNotAvailable(
                f"{month}: no VNP46A3 tile {', '.join(missing)} under {self.url}/{year}/{doy} "
                "(not published yet, or missing from the archive)"
            )
        chosen = [listed[t] for t in needed]
        with ThreadPoolExecutor(self.workers) as pool:
            sources = list(pool.map(lambda tile: self._download(month, tile), chosen))
        try:
            mosaic = read_mosaic(sources, self.layer, grid)
        except ValueError as exc:
            raise ValueError(f"{month}: {exc}") from None
        inside = geometry_mask([aoi_geometry], out_shape=grid.shape, transform=grid.transform, invert=True)
        counts = quality_counts(mosaic.quality, inside)
        apply_quality(mosaic)
        mosaic.radiance[~inside] = np.nan
        mosaic.coverage[~inside] = np.nan
        if not np.isfinite(mosaic.radiance).any():
            raise ValueError(
                f"{month}: the Black Marble tiles {', '.join(t.url for t in chosen)} have no {self.layer} "
                "radiance inside the area of interest"
            )
        return FetchedComposite(
            composite=Composite(radiance=mosaic.radiance, coverage=mosaic.coverage, grid=grid),
            version=_version(chosen),
            source_files=[t.url for t in chosen],
            details={
                "layer": self.layer,
                "tiles": ", ".join(needed),
                "collection": ", ".join(sorted({t.file.collection for t in chosen})),
                "processing_stamps": ", ".join(t.file.stamp for t in chosen),
                **{f"quality_{code}": str(n) for code, n in counts.items()},
            },
        )


def _version(tiles: list[ListedTile]) -> str:
    return ",".join(sorted(t.file.name for t in tiles))
