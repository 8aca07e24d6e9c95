"""The catalogue on S3 (the moto server of tests/servers/s3.py): two months of every output put under a prefix,
the catalogue published there through the S3 output storage gives the same keys and bytes as on a local disk,
and a month no longer stored loses its items."""

from __future__ import annotations

import shutil

from sacnn_dagster.defs.resources.credentials import CredentialsResource
from sacnn_dagster.defs.resources.local_storage import LocalOutputStorage
from sacnn_dagster.defs.resources.storage_for_root import output_storage
from sacnn_dagster.io.layout import month_file
from sacnn_dagster.stac.catalogue import CATALOG_KEY, COLLECTIONS, item_key, publish_catalog

MONTHS = ["2021-05", "2021-06"]


def test_the_catalogue_on_s3_is_the_local_one(materialized_small_demo, s3_bucket, tmp_path):
    stored = materialized_small_demo.storage
    s3 = output_storage(s3_bucket.url("out/"), CredentialsResource(), s3_bucket.endpoint_url)
    local = LocalOutputStorage(root=str(tmp_path / "out"))
    for asset in COLLECTIONS:
        for month in MONTHS:
            key = month_file(asset, month)
            for store in (s3, local):
                with store.writing(key) as target:
                    shutil.copyfile(stored / key, target)
    publish_catalog(s3)
    publish_catalog(local)
    stac_keys = [k[len("out/") :] for k in s3_bucket.keys("out/stac")]
    assert stac_keys == local.list_keys("stac") and CATALOG_KEY in stac_keys
    assert len(stac_keys) == 1 + len(COLLECTIONS) * (1 + len(MONTHS))
    for key in stac_keys:
        assert s3_bucket.fs.cat_file(f"{s3_bucket.name}/out/{key}") == (tmp_path / "out" / key).read_bytes(), key

    s3.remove(month_file("gvio_grid", MONTHS[0]))
    publish_catalog(s3)
    assert not s3.exists(item_key("gvio_grid", MONTHS[0])) and s3.exists(item_key("gvio_grid", MONTHS[1]))
