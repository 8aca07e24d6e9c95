"""The month's factory points (`factories`), from the POI snapshot in force."""

import hashlib
from collections.abc import Iterator

import dagster as dg

from sacnn_dagster.config.limits import Limits
from sacnn_dagster.defs.common.check_reporting import CheckedOutput, monthly_specs
from sacnn_dagster.defs.common.monthly import materialize_months, monthly_asset_options
from sacnn_dagster.defs.features.checks import FACTORY_COUNT, factory_checks
from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.features.pois import MAX_LINE_CHARS, extract_factories, read_snapshot, snapshot_for_month
from sacnn_dagster.io.layout import month_file, quarantine_file
from sacnn_dagster.versioning.versions import code_digest, range_data_version


def factories_month(region: RegionResource, storage: OutputStorage, month: str) -> dict:
    found = snapshot_for_month(region.poi_snapshots(), month)
    if found is None:
        raise ValueError(f"{month}: no POI snapshot in {region.pois_location} (snapshots are named YYYY-MM.csv)")
    snapshot_month, name, from_later = found
    path = region.poi_snapshot_file(name)
    cfg = region.config
    snapshot = read_snapshot(path)
    extraction = extract_factories(snapshot, cfg.factory_typecodes, cfg.poi_crs, region.boundary)
    factories = extraction.factories.assign(snapshot=snapshot_month)
    key = month_file("factories", month)
    with storage.writing(key) as tmp:
        factories.to_parquet(tmp, index=False)
    meta = {
        "path": dg.MetadataValue.path(storage.uri(key)),
        "snapshot": snapshot_month,
        "snapshot_after_month": from_later,
        "snapshot_file": f"{region.pois_location.rstrip('/')}/{name}",
        "snapshot_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "poi_crs": cfg.poi_crs,
        **extraction.counts,
    }
    if len(extraction.rejected):
        qkey = quarantine_file(snapshot_month)
        with storage.writing(qkey) as tmp:
            extraction.rejected.sort_values("line", kind="stable").to_csv(tmp, index=False)
        meta["quarantine"] = dg.MetadataValue.path(storage.uri(qkey))
    if snapshot.unreadable_lines:  # told in a warning too (`_warn_unreadable`): a broken export, not a bad row
        meta["unreadable_lines"] = list(snapshot.unreadable_lines)
    meta["preview"] = dg.MetadataValue.md(factories.drop(columns="geometry").head(10).to_markdown(index=False))
    return meta


def _warn_unreadable(context: dg.AssetExecutionContext, metas: list[dict]) -> None:
    """One warning per snapshot with lines no POI row can be (over `MAX_LINE_CHARS`, or not CSV), naming the
    file and the lines: they are quarantined and the rest of the snapshot used."""
    told = {m["snapshot_file"]: m for m in metas if m.get("unreadable_lines")}
    for file, meta in told.items():
        lines = meta["unreadable_lines"]
        shown = ", ".join(map(str, lines[:10])) + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")
        context.log.warning(
            f"{file}, line(s) {shown}: over {MAX_LINE_CHARS:,} characters or not CSV; quarantined in "
            f"{meta['quarantine'].path}, the rest of the snapshot used"
        )


def build_factories(partitions: dg.PartitionsDefinition, limits: Limits) -> dg.AssetsDefinition:
    @dg.asset(
        group_name="features",
        kinds={"geopandas"},
        check_specs=monthly_specs(partitions, limits, FACTORY_COUNT),
        code_version=code_digest("features.pois"),
        **monthly_asset_options(partitions, retry_transient=True),
    )
    def factories(
        context: dg.AssetExecutionContext, region: RegionResource, storage: OutputStorage
    ) -> Iterator[CheckedOutput]:
        """Factories in force for the month: the newest POI snapshot not after the month (before the first
        snapshot, the earliest one, flagged in the metadata), filtered to the
        region's factory type codes (Amap 1703xx by default), converted from GCJ-02 to WGS84, duplicates
        merged and points outside the area of interest dropped. Every dropped or malformed row is counted
        in the metadata and kept in `quarantine/pois/`. GeoParquet in WGS84 with the POI `id`,
        `factories/YYYY-MM.parquet`."""
        metas = materialize_months(
            context,
            lambda month: factories_month(region, storage, month),
            lambda meta: f"{meta['factories']} from snapshot {meta['snapshot']}",
        )
        early = [
            month for month, meta in zip(context.partition_keys, metas, strict=True) if meta["snapshot_after_month"]
        ]
        if early:
            context.log.warning(f"factories {', '.join(early)}: no snapshot this early, used the earliest one")
        _warn_unreadable(context, metas)
        # the snapshot in force (its sha256): a revised snapshot makes the months it applies to stale
        yield dg.MaterializeResult(
            data_version=dg.DataVersion(
                range_data_version(context.partition_keys, [m["snapshot_sha256"] for m in metas])
            )
        )
        yield from factory_checks(context, storage, limits)

    return factories
