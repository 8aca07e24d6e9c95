"""Shared fixtures: the small demo region (and one materialization of it) and the real Mumbai region, each
built once per test session."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

sys.path.insert(0, str(Path(__file__).parent))

ARTIFACTS = Path(__file__).parent / "artifacts"

#: The S3-compatible endpoint (moto in its own process), the PostgreSQL server and Redis are started once per
#: session, on first use.
pytest_plugins = ["tests.servers.s3", "tests.servers.postgres", "tests.servers.redis"]


@pytest.fixture(scope="session")
def small_demo_region(tmp_path_factory) -> Path:
    from sacnn_dagster.demo import DemoSpec, make_demo_region

    root = tmp_path_factory.mktemp("regions") / "demo-small"
    make_demo_region(root, DemoSpec.small())
    return root


#: The instance of `materialized_small_demo`: runs may be queued (a `dagster dev` serving it may request
#: some) but none is launched, so nothing changes under the tests reading it; no newsletter dialog in the UI.
READ_ONLY_INSTANCE_YAML = """\
run_queue:
  max_concurrent_runs: 0
nux:
  enabled: false
"""


@dataclass(frozen=True)
class MaterializedRegion:
    region: Path
    storage: Path
    home: Path
    months_estimated: list[str]


@pytest.fixture(scope="session")
def materialized_small_demo(small_demo_region, tmp_path_factory) -> MaterializedRegion:
    """The small demo run end to end once through Dagster (`run_region`) into an instance of its own, for
    the tests that only look at a materialized region (checks, metadata, the UI, the reference grids of
    the remote sources). Read-only: a test that changes a region or an instance makes its own."""
    from sacnn_dagster.cli.run import INSTANCE_YAML, run_region

    root = tmp_path_factory.mktemp("materialized")
    region, storage, home = root / "region", root / "out", root / "home"
    shutil.copytree(small_demo_region, region)
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML + READ_ONLY_INSTANCE_YAML)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        report = run_region(region, storage_root=str(storage), instance=instance, echo=lambda _: None)
    assert report.ok, report.failures
    return MaterializedRegion(region, storage, home, report.months_estimated)


@pytest.fixture(scope="session")
def mumbai_region(tmp_path_factory) -> tuple[Path, dict]:
    from mumbai_region import build_mumbai_region

    root = tmp_path_factory.mktemp("regions") / "mumbai"
    return root, build_mumbai_region(root)


@pytest.fixture
def instance(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as inst:
        yield inst
