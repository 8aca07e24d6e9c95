"""EOG's own HTTPS tree of VIIRS DNB monthly composites as a night-light source.

The processing stamp in every file name changes when EOG reprocesses a month, so names cannot be guessed:
the index pages are read (only the folders of the region's satellites and configurations) and the files
are chosen by the same rule as for a local folder (`EogNamedSource`, which this source is, over the
remote tree). Only the chosen files are downloaded: for the tiled layout the `.tgz` of each tile that
overlaps the area (its two layers are then read inside the archive), for the untiled layout the radiance
and `cf_cvg` `.tif.gz` of the chosen stamp.

    tiled:   {url}/monthly/v10/{YYYY}/{YYYYMM}/{cfg}/SVDNB_npp_..._{tile}_{cfg}_v10_c{stamp}.tgz
    notile:  {url}/monthly_notile/v10/{YYYY}/{YYYYMM}/{cfg}/SVDNB_npp_..._global_..._c{stamp}.{layer}.tif.gz
    NOAA-20 / NOAA-21 files (SVDNB_j01_ / SVDNB_j02_) may also sit in {YYYYMM}/NOAA-20/{cfg}/ (NOAA-21/).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.credentials import Credentials
from sacnn_dagster.io.download import Downloader, kind_for_name
from sacnn_dagster.io.http_listing import ListingEntry, parse_index
from sacnn_dagster.io.input_folder import InputFolder
from sacnn_dagster.nightlights.eog_auth import AUTH_HINT, EogAuth
from sacnn_dagster.nightlights.eog_names import CompositeChoice, choose_composite, group_tiles, parse_composite_name
from sacnn_dagster.nightlights.source import EogNamedSource, without

LAYOUT_ROOTS = {"tiled": "monthly/v10", "notile": "monthly_notile/v10"}
#: Month subfolders that hold a later satellite's files.
SATELLITE_FOLDERS = {"j01": "NOAA-20", "j02": "NOAA-21"}


class EogTree(InputFolder):
    """One layout of EOG's tree, listed through its index pages. Listings are kept for the life of the
    object; only the folders of `satellites` and `configs` are read."""

    def __init__(
        self,
        root_url: str,
        downloader: Downloader,
        satellites: tuple[str, ...],
        configs: tuple[str, ...],
        workers: int = 2,
    ):
        self.root = root_url.rstrip("/")
        self.downloader = downloader
        self.satellites = satellites
        self.configs = configs
        self.workers = workers
        self._listings: dict[str, list[ListingEntry]] = {}
        self._months: dict[str, list[str]] = {}

    @property
    def location(self) -> str:
        return self.root

    def _listing(self, folder: str) -> list[ListingEntry]:
        """The entries of `folder` (relative, '' for the root); FileNotFoundError when it does not exist."""
        if folder not in self._listings:
            url = f"{self.root}/{folder}/" if folder else f"{self.root}/"
            self._listings[folder] = parse_index(self.downloader.get_text(url), url)
        return self._listings[folder]

    def _subfolders(self, folder: str) -> set[str]:
        return {e.name for e in self._listing(folder) if e.is_dir}

    def month_files(self, month: str) -> list[str]:
        """The files of `month` (YYYY-MM) in the wanted configuration folders; [] when EOG has no folder
        for the month (not published, or missing altogether)."""
        if month not in self._months:
            year, mm = month.split("-")
            folder = f"{year}/{year}{mm}"
            try:
                subfolders = self._subfolders(folder)
            except FileNotFoundError:
                subfolders = set()
            parents = [folder] + [
                f"{folder}/{name}"
                for sat, name in SATELLITE_FOLDERS.items()
                if sat in self.satellites and name in subfolders
            ]
            config_folders = []
            for parent in parents:
                inside = subfolders if parent == folder else self._subfolders(parent)
                config_folders += [f"{parent}/{cfg}" for cfg in self.configs if cfg in inside]
            self._months[month] = [f"{d}/{e.name}" for d in config_folders for e in self._listing(d) if not e.is_dir]
        return self._months[month]

    def forget_listings(self, settled_before: str | None = None) -> None:
        """Forget the index pages read so far: all of them (None), or all but the folders of months before
        `settled_before` that held files (the root and the year pages are always read again: a late month
        shows there)."""
        if settled_before is None:
            self._listings, self._months = {}, {}
            return
        settled = {m for m, files in self._months.items() if m < settled_before and files}
        self._months = {m: self._months[m] for m in settled}
        kept = {f"{m[:4]}/{m[:4]}{m[5:]}" for m in settled}
        self._listings = {f: v for f, v in self._listings.items() if f[:11] in kept}

    def months(self) -> list[str]:
        """Every month (YYYY-MM) with a folder in the tree."""
        years = sorted(y for y in self._subfolders("") if re.fullmatch(r"\d{4}", y))
        with ThreadPoolExecutor(self.workers) as pool:
            per_year = pool.map(self._subfolders, years)
            return [
                f"{y}-{m[4:]}"
                for y, months in zip(years, per_year)
                for m in sorted(months)
                if re.fullmatch(rf"{y}(0[1-9]|1[0-2])", m)
            ]

    def list_files(self) -> list[str]:
        with ThreadPoolExecutor(self.workers) as pool:
            return sorted(f for files in pool.map(self.month_files, self.months()) for f in files)

    def local_path(self, relative: str) -> Path:
        return self.downloader.fetch(f"{self.root}/{relative}", kind=kind_for_name(relative))


class EogHttpSource(EogNamedSource):
    """Composites from EOG over HTTPS (`settings`: a `NightlightSettings` with source `eog`).

    Credentials are used in this order: EOG_TOKEN (bearer), EOG_SESSION_COOKIE, EOG_USERNAME and
    EOG_PASSWORD (password grant at `token_url`, else $EOG_TOKEN_URL, else EOG's own); with none, the
    tree is tried anonymously and a login page raises `AuthenticationError` naming these variables.
    `download_options` go to the `Downloader` (retries, backoff_s, timeout_s, log)."""

    def __init__(
        self,
        settings,
        satellites: tuple[str, ...],
        configs: tuple[str, ...],
        aoi_bounds: tuple[float, float, float, float],
        credentials: Credentials | None = None,
        cache: CacheSettings | None = None,
        *,
        token_url: str | None = None,
        **download_options,
    ):
        if settings.layout not in LAYOUT_ROOTS:
            raise ValueError(f"EOG layout must be one of {list(LAYOUT_ROOTS)}, not {settings.layout!r}")
        credentials = credentials or Credentials()
        auth = EogAuth(credentials, token_url, timeout_s=download_options.get("timeout_s", 60.0))
        downloader = Downloader(
            cache,
            headers=auth.headers,
            refresh_auth=auth.refresh if auth.can_refresh else None,
            auth_hint=AUTH_HINT,
            secrets=credentials,
            max_concurrent=settings.max_concurrent_downloads,
            **download_options,
        )
        root = f"{settings.url.rstrip('/')}/{LAYOUT_ROOTS[settings.layout]}"
        tree = EogTree(root, downloader, satellites, configs, workers=settings.max_concurrent_downloads)
        super().__init__(tree, satellites, configs, aoi_bounds)

    def choose(self, month: str, passed_over: frozenset[str] = frozenset()) -> CompositeChoice | None:
        """As for a local folder, but reading only `month`'s folders, so that fetching a few months does
        not list the whole archive (`available_months` lists it all, once)."""
        named = [(Path(f), parse_composite_name(PurePosixPath(f).name)) for f in self.folder.month_files(month)]
        tiles = without(group_tiles([(path, parsed) for path, parsed in named if parsed is not None]), passed_over)
        return choose_composite(month, tiles, self.aoi_bounds, self.satellites, self.configs)

    def reference_lattice(self) -> None:
        """None: each month on its own radiance file's lattice. EOG's archive is one lattice by construction,
        and knowing the first month's would mean listing the whole archive and downloading that month."""
        return None
