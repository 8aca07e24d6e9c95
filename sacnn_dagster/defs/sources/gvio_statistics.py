"""The published monthly statistics (`gvio_statistics`): the labels the models learn from."""

import dagster as dg

from sacnn_dagster.defs.resources.region import RegionResource
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.features.statistics import parse_statistics
from sacnn_dagster.io.layout import STATISTICS_FILE
from sacnn_dagster.versioning.versions import code_digest, content_digest


@dg.asset(group_name="sources", kinds={"pandas"}, code_version=code_digest("features.statistics"))
def gvio_statistics(region: RegionResource, storage: OutputStorage) -> dg.MaterializeResult:
    """The published monthly industrial output (GVIO, 亿元) used as labels, one row per published
    value. A combined January-February release stays one row covering two months (it is never split
    evenly). `gvio_statistics/gvio_monthly.parquet`."""
    path = region.statistics_file()
    table = parse_statistics(path)
    with storage.writing(STATISTICS_FILE) as tmp:
        table.to_parquet(tmp, index=False)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(storage.uri(STATISTICS_FILE)),
            "published_values": len(table),
            "months_covered": int(table["n_months"].sum()),
            "combined_releases": int((table["n_months"] > 1).sum()),
            "first_month": table["first_month"].min() if len(table) else None,
            "last_month": table["last_month"].max() if len(table) else None,
            "preview": dg.MetadataValue.md(table.tail(12).to_markdown(index=False)),
        },
        # the file's content, so that a revised value (not a touched file) makes the model stale
        data_version=dg.DataVersion(content_digest(path)),
    )
