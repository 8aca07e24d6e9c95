"""A concurrency pool per download host, shared by every region that downloads from it."""

from __future__ import annotations

from sacnn_dagster.config.nightlight_settings import NightlightSettings
from sacnn_dagster.config.pools import download_pool


def test_one_pool_per_host_and_none_for_a_local_folder():
    assert download_pool(NightlightSettings()) is None
    assert download_pool(NightlightSettings(source="eog")) == "download_eogdata_mines_edu"
    assert download_pool(NightlightSettings(source="blackmarble")) == "download_ladsweb_modaps_eosdis_nasa_gov"
    assert download_pool(NightlightSettings(source="s3", url="s3://my-bucket/eog")) == "download_s3_my_bucket"
    two = [NightlightSettings(source="eog", url=f"http://127.0.0.1:8123/{p}") for p in ("a", "b")]
    assert download_pool(two[0]) == download_pool(two[1]) == "download_127_0_0_1"
