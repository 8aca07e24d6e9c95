"""The code location loads, as `dagster dev` and Dagster+ load it."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import yaml

ROOT = Path(__file__).parents[1]


def test_definitions_load_for_a_region(small_demo_region, tmp_path):
    from sacnn_dagster.defs.code_location import build_definitions

    defs = build_definitions(small_demo_region, str(tmp_path / "out"))
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"ntl_composite", "ntl_clean", "factories", "factory_patches", "gvio_statistics"} <= keys
    partitions = defs.resolve_assets_def("ntl_composite").partitions_def
    spec = yaml.safe_load((small_demo_region / "region.yaml").read_text())
    keys = partitions.get_partition_keys()
    assert keys[0] == str(spec["start"]) and keys[-1] == str(spec["end"])
    for asset in ("ntl_composite", "ntl_clean", "factories", "factory_patches"):
        assert defs.resolve_assets_def(asset).descriptions_by_key  # docstrings shown in the UI


def test_definitions_module_reads_sacnn_region(small_demo_region, tmp_path):
    (tmp_path / "home").mkdir()
    env = {
        **os.environ,
        "SACNN_REGION": str(small_demo_region),
        "SACNN_STORAGE": str(tmp_path / "out"),
        "DAGSTER_HOME": str(tmp_path / "home"),
    }
    out = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_missing_region_is_a_clear_error(tmp_path):
    from sacnn_dagster.defs.code_location import build_definitions

    try:
        build_definitions(tmp_path / "nowhere")
    except FileNotFoundError as exc:
        assert "nowhere" in str(exc)
    else:
        raise AssertionError("expected FileNotFoundError")


def test_dagster_cloud_yaml_is_valid_for_the_same_module():
    from dagster_cloud_cli.config.models import load_dagster_cloud_yaml

    cloud = load_dagster_cloud_yaml((ROOT / "dagster_cloud.yaml").read_text())
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    assert [loc.code_source.module_name for loc in cloud.locations] == [
        entry["python_module"]["module_name"] for entry in workspace["load_from"]
    ]
