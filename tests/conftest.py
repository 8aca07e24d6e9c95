"""Shared fixtures: the small demo region and the real Mumbai region, each built once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
import pytest

sys.path.insert(0, str(Path(__file__).parent))

ARTIFACTS = Path(__file__).parent / "artifacts"

#: The S3-compatible endpoint (moto in its own process) is started once per session, on first use.
pytest_plugins = ["tests.servers.s3"]


@pytest.fixture(scope="session")
def small_demo_region(tmp_path_factory) -> Path:
    from sacnn_dagster.demo import DemoSpec, make_demo_region

    root = tmp_path_factory.mktemp("regions") / "demo-small"
    make_demo_region(root, DemoSpec.small())
    return root


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
