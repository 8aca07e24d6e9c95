"""`stac_catalog`: the STAC catalogue of every output (`stac/` under the storage root), rebuilt from what is
stored at the end of every run of the monthly outputs (stac/catalogue.py builds it)."""

import dagster as dg

from sacnn_dagster.defs.common.monthly import monthly_asset_options
from sacnn_dagster.defs.resources.storage import OutputStorage
from sacnn_dagster.stac.catalogue import CATALOG_KEY, catalogue_summary, publish_catalog
from sacnn_dagster.versioning.versions import code_digest

STAC_CATALOG = "stac_catalog"


def build_stac_catalog(partitions: dg.PartitionsDefinition, has_districts: bool) -> dg.AssetsDefinition:
    @dg.asset(
        name=STAC_CATALOG,
        deps=["gvio_estimate", "gvio_factory", "gvio_grid", *(["gvio_by_district"] if has_districts else [])],
        group_name="stac",
        kinds={"json"},
        code_version=code_digest("stac"),
        **monthly_asset_options(partitions, retry_transient=False),
    )
    def stac_catalog(context: dg.AssetExecutionContext, storage: OutputStorage) -> dg.MaterializeResult:
        """Where to find every output: a static STAC catalogue, `stac/catalog.json` under the storage root,
        with one collection per output (`ntl_composite`, `ntl_clean`, `gvio_estimate`, `gvio_factory`,
        `gvio_grid`, `gvio_by_district`) and one item per month pointing at its file by a relative href, so
        the folder can be moved or served as it is. Raster items carry their footprint, projection and bands
        (unit, nodata, data type); every item its month, the model version and the night-light composite's
        version. Open it with pystac, odc-stac or stackstac (`odc.stac.load(items, bands=["data"])` gives an
        xarray cube of a year of `gvio_grid`), QGIS or STAC Browser.

        Rebuilt whole from the stored files by every run of the monthly outputs (JSON only; each raster is
        read once for its statistics), so it is current whenever they are; the same files give the same
        bytes. Items are written first and `catalog.json` last, so a reader never meets a link to a missing
        item. Monthly with a single-run backfill policy like the outputs it follows, rather than
        unpartitioned: it sits in the monthly outputs job without changing its shape (one step per run,
        whatever the range; a backfill is one run as before), and a month materialized here means that
        month's files were in the catalogue when it was last rebuilt."""
        catalog = publish_catalog(storage)
        summary = catalogue_summary(catalog)
        context.log.info(
            f"stac_catalog: {sum(map(len, summary.values()))} item(s) in {len(summary)} collection(s) "
            f"at {storage.uri(CATALOG_KEY)}"
        )
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(storage.uri(CATALOG_KEY)),
                "collections": ", ".join(summary),
                "items": sum(map(len, summary.values())),
                **{f"{name}_months": f"{months[0]}..{months[-1]} ({len(months)})" for name, months in summary.items()},
            }
        )

    return stac_catalog
