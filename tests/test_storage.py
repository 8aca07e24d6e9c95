"""Output storage: the S3 store against a real S3-compatible endpoint (moto's server in its own process),
the same keys as the local store, and one Dagster materialization reading and writing through S3."""

from __future__ import annotations

import shutil

import dagster as dg
import pandas as pd
import pytest
import yaml

from sacnn_dagster.defs.code_location import REFERENCE_JOB, build_definitions
from sacnn_dagster.defs.resources.credentials import CredentialsResource
from sacnn_dagster.defs.resources.local_storage import LocalOutputStorage
from sacnn_dagster.defs.resources.s3_storage import S3OutputStorage
from sacnn_dagster.defs.resources.storage_for_root import endpoint_url_from_environment, output_storage
from sacnn_dagster.io.layout import STATISTICS_FILE
from tests.servers.s3 import ACCESS_KEY, SECRET_KEY

KEYS = [
    "gvio_model/v1/registry.json",
    "gvio_model/v1/sacnn/weights.pt",
    "ntl_clean/2020-01.tif",
    "ntl_clean/2020-02.tif",
    "ntl_clean_extra/2020-01.tif",
    "evaluation/summary.json",
]


@pytest.fixture
def store(s3_bucket) -> S3OutputStorage:
    storage = output_storage(s3_bucket.url("runs/demo/"), CredentialsResource(), s3_bucket.endpoint_url)
    assert isinstance(storage, S3OutputStorage)
    return storage


def test_write_read_exists_list_roundtrip(store, s3_bucket):
    key = "ntl_clean/2020-01.tif"
    assert not store.exists(key) and store.list_keys("ntl_clean") == []
    with store.writing(key) as tmp:
        assert tmp.suffix == ".tif"
        tmp.write_bytes(b"pixels")
    assert s3_bucket.keys() == [f"runs/demo/{key}"]
    assert store.uri(key) == f"s3://{s3_bucket.name}/runs/demo/{key}"
    assert store.exists(key) and not store.exists("ntl_clean")
    with store.reading(key) as path:
        assert path.read_bytes() == b"pixels" and path.suffix == ".tif"
    with pytest.raises(
        FileNotFoundError,
        match=rf"s3://{s3_bucket.name}/runs/demo/ntl_clean/2020-02.tif .*"
        "materialize its asset for this month first",
    ):
        with store.reading("ntl_clean/2020-02.tif"):
            pass


def test_a_failed_write_leaves_nothing_and_keeps_the_previous_version(store, s3_bucket):
    with store.writing("a/x.json") as tmp:
        tmp.write_text("old")
    for key in ("a/x.json", "a/new.json"):
        with pytest.raises(RuntimeError, match="half-written"):
            with store.writing(key) as tmp:
                tmp.write_text("partial")
                raise RuntimeError("half-written")
    assert s3_bucket.keys() == ["runs/demo/a/x.json"]
    with store.reading("a/x.json") as path:
        assert path.read_text() == "old"


def test_same_layout_as_local_storage(store, tmp_path):
    local = output_storage(str(tmp_path / "out"), CredentialsResource())
    assert isinstance(local, LocalOutputStorage)
    for storage in (local, store):
        for key in KEYS:
            with storage.writing(key) as tmp:
                tmp.write_text(key)
    for prefix in ("gvio_model", "gvio_model/v1", "ntl_clean", "evaluation", "nothing"):
        assert store.list_keys(prefix) == local.list_keys(prefix), prefix
    assert store.list_keys("ntl_clean") == ["ntl_clean/2020-01.tif", "ntl_clean/2020-02.tif"]

    source = tmp_path / "model"
    (source / "rf").mkdir(parents=True)
    (source / "registry.json").write_text("{}")
    (source / "rf" / "forest.pkl").write_bytes(b"\x00trees")
    store.put_folder(source, "gvio_model/v2")
    with store.fetched_folder("gvio_model/v2") as fetched:
        assert sorted(p.relative_to(fetched).as_posix() for p in fetched.rglob("*") if p.is_file()) == [
            "registry.json",
            "rf/forest.pkl",
        ]
        assert (fetched / "rf" / "forest.pkl").read_bytes() == b"\x00trees"


def test_endpoint_from_the_environment(monkeypatch):
    monkeypatch.delenv("SACNN_S3_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert endpoint_url_from_environment() is None
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://aws-endpoint:9000")
    assert endpoint_url_from_environment() == "http://aws-endpoint:9000"
    monkeypatch.setenv("SACNN_S3_ENDPOINT_URL", "http://minio:9000")
    assert endpoint_url_from_environment() == "http://minio:9000"
    with pytest.raises(ValueError, match="s3:///prefix names no bucket"):
        output_storage("s3:///prefix", CredentialsResource())


def test_storage_signs_with_the_environment_keys_outside_a_run(s3_bucket):
    """cli/run.py reads statistics and the evaluation through `defs.resources["storage"]`, outside a run,
    where Dagster has not resolved the EnvVars."""
    store = S3OutputStorage(
        root=s3_bucket.url("out"),
        credentials=CredentialsResource.from_environment(),
        endpoint_url=s3_bucket.endpoint_url,
    )
    assert store.fs.key == ACCESS_KEY


def test_gvio_statistics_reads_from_s3_and_writes_to_s3(small_demo_region, s3_bucket, instance, tmp_path, monkeypatch):
    region = tmp_path / "region"
    shutil.copytree(small_demo_region, region)
    s3_bucket.upload(region / "statistics", "inputs/statistics")
    shutil.rmtree(region / "statistics")
    spec = yaml.safe_load((region / "region.yaml").read_text())
    spec["statistics"] = s3_bucket.url("inputs/statistics/gvio_monthly.csv")
    spec["s3_endpoint_url"] = s3_bucket.endpoint_url
    (region / "region.yaml").write_text(yaml.safe_dump(spec))
    monkeypatch.setenv("SACNN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SACNN_S3_ENDPOINT_URL", s3_bucket.endpoint_url)  # outputs

    defs = build_definitions(region, s3_bucket.url("out/demo"))
    dg.Definitions.validate_loadable(defs)
    result = defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance)
    assert result.success

    assert s3_bucket.keys("out") == [f"out/demo/{STATISTICS_FILE}"]
    with s3_bucket.fs.open(f"{s3_bucket.name}/out/demo/{STATISTICS_FILE}") as f:
        table = pd.read_parquet(f)
    assert len(table) > 10 and {"first_month", "last_month", "n_months"} <= set(table.columns)
    record = instance.get_latest_materialization_event(dg.AssetKey("gvio_statistics")).asset_materialization
    assert record.metadata["path"].value == f"s3://{s3_bucket.name}/out/demo/{STATISTICS_FILE}"
    assert not any(SECRET_KEY in str(v.value) for v in record.metadata.values())
    assert list((tmp_path / "cache" / "s3" / s3_bucket.name).rglob("gvio_monthly.csv"))


def _model_source(tmp_path):
    source = tmp_path / "model-source"
    (source / "rf").mkdir(parents=True)
    (source / "registry.json").write_text("{}")
    (source / "rf" / "forest.pkl").write_bytes(b"\x00trees")
    return source


@pytest.mark.parametrize("kind", ["local", "s3"])
def test_a_folder_counts_only_once_its_manifest_is_written_last(kind, request, tmp_path):
    """A folder of files (a model version) left without its manifest by a killed writer is never read; the
    next `put_folder` completes it and clears what the killed one left."""
    from sacnn_dagster.defs.resources.storage import COMPLETE_FILE, IncompleteFolderError

    storage = (
        output_storage(str(tmp_path / "out"), CredentialsResource())
        if kind == "local"
        else request.getfixturevalue("store")
    )
    source = _model_source(tmp_path)
    # a killed writer: some files stored, one of them from an older build, no manifest
    for key, text in (("gvio_model/v3/registry.json", "{}"), ("gvio_model/v3/stale.bin", "left over")):
        with storage.writing(key) as tmp:
            tmp.write_text(text)
    assert storage.folder_manifest("gvio_model/v3") is None
    with pytest.raises(IncompleteFolderError, match="gvio_model/v3 is incomplete"):
        with storage.fetched_folder("gvio_model/v3"):
            pass
    with pytest.raises(IncompleteFolderError, match="gvio_model/v4 does not exist"):
        storage.require_complete("gvio_model/v4")

    storage.put_folder(source, "gvio_model/v3")
    assert sorted(storage.folder_manifest("gvio_model/v3")) == ["registry.json", "rf/forest.pkl"]
    assert storage.exists(f"gvio_model/v3/{COMPLETE_FILE}") and not storage.exists("gvio_model/v3/stale.bin")
    with storage.fetched_folder("gvio_model/v3") as fetched:
        assert (fetched / "rf" / "forest.pkl").read_bytes() == b"\x00trees"
        assert not (fetched / COMPLETE_FILE).exists()
    # a file changed behind the manifest's back is refused, not used
    with storage.writing("gvio_model/v3/rf/forest.pkl") as tmp:
        tmp.write_bytes(b"other trees")
    with pytest.raises(IncompleteFolderError, match="differs from the digest"):
        with storage.fetched_folder("gvio_model/v3"):
            pass


def test_two_writers_of_the_same_folder_at_once_both_end_well(tmp_path):
    """Two runs building the same model version at once write the same files: neither removes a file the
    other needs, and the folder ends complete."""
    from concurrent.futures import ThreadPoolExecutor

    storage = output_storage(str(tmp_path / "out"), CredentialsResource())
    source = _model_source(tmp_path)
    for i in range(5):
        with ThreadPoolExecutor(2) as pool:
            for future in [pool.submit(storage.put_folder, source, f"gvio_model/v{i}") for _ in range(2)]:
                future.result()
        with storage.fetched_folder(f"gvio_model/v{i}") as fetched:
            assert (fetched / "rf" / "forest.pkl").read_bytes() == b"\x00trees"
