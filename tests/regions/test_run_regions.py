"""A catalogue of three small generated regions with different month ranges (and a broken folder): one
`run --regions` builds them all into `<storage>/<region name>/` and one instance, with each region's keys under
its name; `status --regions` reports each. Then a real `dagster-daemon` serves the catalogue's code location: a
month dropped into one region is built for that region only, a region folder added to the catalogue is picked up
(the daemon reloads its code location every minute) and built, while the broken folder is reported and the
others keep working."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
import time
from contextlib import redirect_stdout
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from daemon_process import start_daemon, stop_daemon
from test_sensors import composite_files
from test_sensors_daemon import TEST_INSTANCE_YAML

from sacnn_dagster.cli.main import main
from sacnn_dagster.defs.automation.settings import AUTOMATION_ENV, INTERVAL_ENV
from sacnn_dagster.defs.jobs import REGION_TAG
from sacnn_dagster.demo import DemoSpec, make_demo_region

#: Folder name: (region name, first month, last month). Smaller than the small demo to keep the test short.
REGIONS = {
    "alpha": ("city-alpha", "2019-07", "2021-12"),
    "beta": ("city-beta", "2019-10", "2021-12"),
    "gamma": ("city-gamma", "2019-07", "2021-12"),
}
#: gamma's composites not published yet when the catalogue is first run (dropped in later, one by one).
GAMMA_LATER = ("2021-10", "2021-11", "2021-12")
#: The region added to the catalogue while the daemon runs.
ADDED = ("delta", "city-delta", "2019-07", "2021-12")
TIMEOUT_S = 300


def make_region(folder: Path, name: str, start: str, end: str, seed: int) -> None:
    spec = dataclasses.replace(
        DemoSpec.small(), name=name, start=start, end=end, bbox=(121.15, 30.975, 121.35, 31.125), n_factories=80
    )
    make_demo_region(folder, dataclasses.replace(spec, seed=seed))


def make_catalogue(root: Path, later: Path) -> Path:
    for seed, (folder, (name, start, end)) in enumerate(REGIONS.items(), 1):
        make_region(root / folder, name, start, end, seed)
    for month in GAMMA_LATER:
        for path in composite_files(root / "gamma", month):
            aside = later / month / path.relative_to(root / "gamma" / "nightlights")
            aside.parent.mkdir(parents=True, exist_ok=True)
            path.rename(aside)
    (root / "broken").mkdir()
    (root / "broken" / "region.yaml").write_text('name: broken\nstart: "2019-13"\n')
    return root


@pytest.fixture(scope="module")
def regions_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("catalogue")
    catalogue, storage, home = make_catalogue(root / "regions", root / "later"), root / "out", root / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(TEST_INSTANCE_YAML)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        with redirect_stdout(io.StringIO()) as run_out:
            code = main(["run", "--regions", str(catalogue), "--storage", str(storage)])
        with redirect_stdout(io.StringIO()) as status_out:
            status = main(["status", "--regions", str(catalogue), "--storage", str(storage), "--at", "2022-01-20"])
    lines, status_lines = run_out.getvalue().splitlines(), status_out.getvalue().splitlines()
    return code, "\n".join(lines), status, "\n".join(status_lines), storage, home, root


def built(storage: Path, region: str, asset: str = "gvio_estimate") -> list[str]:
    return sorted(p.stem for p in (storage / region / asset).glob("*.*"))


def test_one_run_builds_every_region_over_its_own_months_in_one_instance(regions_run):
    code, out, _, _, storage, home, _ = regions_run
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for name, start, end in REGIONS.values():
            last = "2021-09" if name == "city-gamma" else end
            assert (built(storage, name)[0], built(storage, name)[-1]) == (start, last), name
            assert (storage / name / "gvio_grid" / f"{last}.tif").is_file()
            months = instance.get_materialized_partitions(dg.AssetKey([name, "gvio_estimate"]))
            assert (min(months), max(months)) == (start, last)  # its keys under its name, one instance for all
            assert f"{name}: " in out
        assert not instance.get_materialized_partitions(dg.AssetKey("gvio_estimate"))  # no bare keys
        assert instance.get_latest_materialization_event(dg.AssetKey("gvio_regions")) is not None, out
    table = pd.read_parquet(storage / "city-beta" / "gvio_estimate" / "2021-12.parquet")
    assert table["selected"].sum() == 1


def test_a_bad_region_folder_is_named_and_fails_the_exit_status_only(regions_run):
    code, out, *_ = regions_run
    assert code == 1
    assert "BAD REGION FOLDER" in out and "broken/region.yaml: start: 2019-13" in out
    assert "FAILED region(s): broken" in out
    assert "city-alpha: 30 month(s) of features, 30 estimated" in out


def test_status_prints_each_regions_health_and_latest_estimate(regions_run):
    _, _, status, out, *_ = regions_run
    assert status == 1  # the bad folder
    for name, _, end in REGIONS.values():
        assert f"Region {name}:" in out
        assert f"Latest estimate: {'2021-09' if name == 'city-gamma' else end}: " in out
    assert "BAD REGION FOLDER broken" in out
    assert "newest month  missing  failed" in out


def test_the_regions_side_by_side_one_table_per_month_and_a_chart(regions_run):
    *_, storage, _, _ = regions_run
    december = pd.read_parquet(storage / "gvio_regions" / "2021-12.parquet")
    assert december["region"].tolist() == ["city-alpha", "city-beta"]  # gamma's December is not published yet
    assert (december["lower"] <= december["estimate"]).all() and (december["estimate"] <= december["upper"]).all()
    first = pd.read_parquet(storage / "gvio_regions" / "2019-07.parquet")
    assert first["region"].tolist() == ["city-alpha", "city-gamma"]  # beta starts in 2019-10
    assert (storage / "previews" / "gvio_regions.png").read_bytes()[:4] == b"\x89PNG"


class CatalogueDaemon:
    """`dagster-daemon run` on a workspace that loads the catalogue's code location ($SACNN_REGIONS)."""

    def __init__(self, root: Path, catalogue: Path, storage: Path, home: Path):
        self.root, self.catalogue, self.storage, self.home = root, catalogue, storage, home
        self.instance = dg.DagsterInstance.from_config(str(home))
        self.process: subprocess.Popen | None = None
        self.log = root / "daemon.log"

    def start(self) -> None:
        env = {
            "DAGSTER_HOME": str(self.home),
            "SACNN_REGIONS": str(self.catalogue),
            "SACNN_REGION": None,  # a catalogue: every region served
            "SACNN_STORAGE": str(self.storage),
            INTERVAL_ENV: "1",
            AUTOMATION_ENV: "running",
        }
        self.process = start_daemon(self.root, env, self.log)

    def stop(self) -> None:
        stop_daemon(self.process)
        self.instance.dispose()

    def report(self) -> str:
        runs = [f"{r.job_name} {r.status.value} {r.tags.get(REGION_TAG, '')}" for r in self.instance.get_runs()]
        tail = self.log.read_text(errors="replace").splitlines()[-40:] if self.log.exists() else []
        return "\nruns (newest first):\n" + "\n".join(runs) + "\ndaemon log:\n" + "\n".join(tail)

    def wait_until(self, condition, what: str, timeout: float = TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"the daemon exited waiting for {what}{self.report()}")
            if value := condition():
                return value
            time.sleep(1)
        raise AssertionError(f"{timeout} s without {what}{self.report()}")

    def months(self, region: str, asset: str = "gvio_estimate") -> set[str]:
        return set(self.instance.get_materialized_partitions(dg.AssetKey([region, asset])))

    def settled(self) -> bool:
        return all(r.is_finished for r in self.instance.get_runs())

    def runs_after(self, known: set[str]) -> list[dg.DagsterRun]:
        return [r for r in self.instance.get_runs() if r.run_id not in known]


@pytest.fixture(scope="module")
def daemon(regions_run):
    *_, storage, home, root = regions_run
    served = CatalogueDaemon(root, root / "regions", storage, home)
    served.start()
    try:
        yield served
    finally:
        served.stop()


def test_a_new_month_in_one_region_is_built_for_that_region_only(daemon, regions_run):
    root = regions_run[-1]
    known = {r.run_id for r in daemon.instance.get_runs()}
    others = {name: daemon.months(name) for name in ("city-alpha", "city-beta")}
    shutil.copytree(root / "later" / "2021-10", root / "regions" / "gamma" / "nightlights", dirs_exist_ok=True)
    daemon.wait_until(lambda: "2021-10" in daemon.months("city-gamma"), "city-gamma's estimate of 2021-10")
    daemon.wait_until(
        lambda: "city-gamma" in pd.read_parquet(daemon.storage / "gvio_regions" / "2021-10.parquet")["region"].tolist(),
        "gvio_regions with city-gamma's 2021-10",
    )
    daemon.wait_until(daemon.settled, "the daemon's runs to finish")
    runs = daemon.runs_after(known)
    assert runs and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), daemon.report()
    regions = {r.tags.get(REGION_TAG) for r in runs if r.job_name != "gvio_regions_job"}
    assert regions == {"city-gamma"}, daemon.report()
    assert {name: daemon.months(name) for name in others} == others  # nothing of the others built again
    assert "2021-11" not in daemon.months("city-gamma")  # not published yet: not built


def test_a_region_added_to_the_catalogue_is_picked_up_and_built(daemon, regions_run, tmp_path):
    folder, name, start, end = ADDED
    make_region(tmp_path / folder, name, start, end, seed=4)
    shutil.move(tmp_path / folder, daemon.catalogue / folder)  # appears whole, as a region folder should
    daemon.wait_until(lambda: len(daemon.months(name)) == 30, f"{name}'s 30 months estimated", timeout=TIMEOUT_S)
    daemon.wait_until(lambda: built(daemon.storage, name, "gvio_grid")[-1:] == [end], f"{name}'s grids")
    assert daemon.months("city-alpha") == set(pd.period_range("2019-07", "2021-12", freq="M").strftime("%Y-%m"))
    log = daemon.log.read_text(errors="replace")
    assert "region folder not served" in log and "broken/region.yaml" in log  # the broken folder, reported
