"""`gvio_regions` over regions whose outputs are on S3 (the session's moto server): it reads each region's stored
estimates and statistics under `<storage>/<region name>/` and writes its tables and chart under the catalogue's
storage, on S3 as on a disk; a month no region has any more is removed."""

from __future__ import annotations

import io

import dagster as dg
import pandas as pd
import pytest

from sacnn_dagster.config.catalogue import Catalogue
from sacnn_dagster.defs.catalogue.gvio_regions import GVIO_REGIONS_JOB
from sacnn_dagster.defs.catalogue.location import catalogue_repository


def estimates(month: str, value: float) -> bytes:
    table = pd.DataFrame(
        {
            "month": [month, month],
            "model": ["sacnn", "sum_ridge"],
            "estimate": [value * 1.1, value],
            "lower": [value, value * 0.9],
            "upper": [value * 1.2, value * 1.1],
            "selected": [False, True],
            "model_version": ["v1", "v1"],
        }
    )
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


@pytest.fixture
def stored(s3_bucket, monkeypatch, tmp_path):
    monkeypatch.setenv("SACNN_S3_ENDPOINT_URL", s3_bucket.endpoint_url)
    for region, months in (("city-a", ["2021-01", "2021-02"]), ("city-b", ["2021-02"])):
        for i, month in enumerate(months):
            s3_bucket.put(f"out/{region}/gvio_estimate/{month}.parquet", estimates(month, 100.0 + i))
    s3_bucket.put("out/gvio_regions/2019-01.parquet", b"a month no region has any more")
    return s3_bucket


def test_the_regions_side_by_side_on_s3(stored, tmp_path):
    catalogue = Catalogue(root=tmp_path, source="s3://catalogue/regions")
    repository = catalogue_repository(catalogue, ["city-a", "city-b"], [], stored.url("out"))
    with dg.DagsterInstance.ephemeral() as instance:
        result = repository.get_job(GVIO_REGIONS_JOB).execute_in_process(instance=instance)
    assert result.success
    assert stored.keys("out/gvio_regions") == ["out/gvio_regions/2021-01.parquet", "out/gvio_regions/2021-02.parquet"]
    february = pd.read_parquet(io.BytesIO(stored.fs.cat(f"{stored.name}/out/gvio_regions/2021-02.parquet")))
    assert february["region"].tolist() == ["city-a", "city-b"]
    assert february["model"].tolist() == ["sum_ridge", "sum_ridge"]  # the served model, not the first row
    assert february["published"].isna().all()  # no statistics stored: nothing published to compare with
    assert stored.fs.cat(f"{stored.name}/out/previews/gvio_regions.png")[:4] == b"\x89PNG"
    metadata = result.asset_materializations_for_node("gvio_regions")[0].metadata
    assert metadata["path"].value == stored.url("out/gvio_regions").rstrip("/")
    assert metadata["regions_with_estimates"].value == 2


def test_nothing_to_put_side_by_side_fails_the_run_naming_why(s3_bucket, monkeypatch, tmp_path):
    monkeypatch.setenv("SACNN_S3_ENDPOINT_URL", s3_bucket.endpoint_url)
    repository = catalogue_repository(Catalogue(root=tmp_path), ["city-z"], [], s3_bucket.url("empty"))
    with dg.DagsterInstance.ephemeral() as instance:
        result = repository.get_job(GVIO_REGIONS_JOB).execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    assert "none of the 1 region(s) has an estimate yet" in str(
        result.get_step_failure_events()[0].event_specific_data.error
    )
