"""What many regions cost in one code location (issue 14; README "Many regions").

    .venv/bin/python benchmarks/regions.py [--counts 1 10 50] [--run 3]

Generates one small region (a smaller cut of the small demo: 80 factories, 30 months) and copies it under new
region names into a catalogue of N regions. The code location is `sacnn_dagster.definitions` with
SACNN_REGIONS=<catalogue> (no SACNN_REGION): one repository per region, asset keys prefixed by the region name,
and a `catalogue` repository. For each N it measures, against N = 1 as the reference:

- catalogue read: reading and validating every region folder (config/catalogue.py), median of 3;
- definitions: the module imported (reloaded) in this process and every repository it holds resolved
  (`load_all_definitions`), median of 3 (1 above 10 regions);
- code location load: the same in a fresh process, plus each repository's snapshot (what a code server sends
  the webserver), regions_graphql.location_load;
- webserver ready: `dagster-webserver -m sacnn_dagster.definitions` from its start until the asset graph query
  first answers with the code location loaded (the UI's start-to-ready);
- asset graph query: the query the UI's asset graph is drawn from (regions_graphql.ASSET_GRAPH_QUERY), median
  of 5, after the first; the answer must hold every region's assets (N x per region + catalogue), or it stops;
- sensor tick: each region's nightlight_sensor, taken from the code location's repository with its resources,
  looking with nothing new (after a first look), against one instance that holds every region's ticks:
  median and slowest tick, and all regions' ticks summed (one round of the daemon).

Growth per region: each measure at N divided by its value at N = 1, divided by N (1 = linear, below 1 = a fixed
cost shared); and the slope from 10 to 50 regions over the slope from 1 to 10 (above 1 = each added region costs
more than the ones before: faster than linear).

--run K: one `run --regions` over K of the regions (fresh instance and storage), its wall time against K times
one region's, to see that each region costs what one costs and nothing grows with the count.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster._core.workspace.autodiscovery import loadable_targets_from_loaded_module

sys.path.insert(0, str(Path(__file__).parent))
from regions_graphql import Webserver, catalogue_env, check_nodes, location_load  # noqa: E402

from sacnn_dagster.config.catalogue import load_catalogue  # noqa: E402
from sacnn_dagster.defs.code_location import build_definitions  # noqa: E402
from sacnn_dagster.demo import DemoSpec, make_demo_region  # noqa: E402

MEASURES = ["catalogue read", "definitions", "code location load", "webserver ready", "asset graph query", "ticks"]


def make_catalogue(root: Path, count: int, template: Path) -> Path:
    catalogue = root / f"regions-{count}"
    for index in range(count):
        folder = catalogue / f"r{index:03d}"
        shutil.copytree(template, folder)
        yaml = folder / "region.yaml"
        yaml.write_text(yaml.read_text().replace("name: bench-city", f"name: bench-city-{index:03d}"))
    return catalogue


def timed(action, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def repositories(catalogue: Path, storage: Path) -> list[dg.RepositoryDefinition]:
    """The code location's repositories as Dagster finds them in `sacnn_dagster.definitions`, resolved, built in
    this process with SACNN_REGIONS=`catalogue`."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(catalogue_env(catalogue, storage))
    try:
        sys.modules.pop("sacnn_dagster.definitions", None)  # a fresh module: no repository left from before
        module = importlib.import_module("sacnn_dagster.definitions")
        repos = [t.target_definition.get_repository_def() for t in _defs(module)]
        repos += [t.target_definition for t in _repos(module)]
        repos = list({repo.name: repo for repo in repos}.values())  # one per name, as the code server keeps
        for repo in repos:
            repo.load_all_definitions()
        return repos
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _defs(module):
    return [t for t in loadable_targets_from_loaded_module(module) if isinstance(t.target_definition, dg.Definitions)]


def _repos(module):
    targets = loadable_targets_from_loaded_module(module)
    return [t for t in targets if isinstance(t.target_definition, dg.RepositoryDefinition)]


def quiet_ticks(repos: list[dg.RepositoryDefinition]) -> list[float]:
    """Each region's nightlight_sensor, from its repository, with the repository's resources: a first look
    (everything new), then a look with nothing new, timed. One instance for all: the regions share it."""
    times = []
    with dg.instance_for_test() as instance:
        for repo in repos:
            if not repo.has_sensor_def("nightlight_sensor"):
                continue
            sensor = repo.get_sensor_def("nightlight_sensor")
            resources = repo.get_top_level_resources()
            context = {"instance": instance, "resources": resources, "repository_def": repo}
            with dg.build_sensor_context(**context) as first:
                cursor = sensor(first).cursor
            started = time.perf_counter()
            with dg.build_sensor_context(cursor=cursor, **context) as quiet:
                assert not sensor(quiet).run_requests, f"{repo.name}: a run requested with nothing new"
            times.append(time.perf_counter() - started)
    return times


def measure(root: Path, count: int, per_region: int) -> dict[str, float]:
    catalogue = make_catalogue(root, count, root / "template")
    storage = root / f"storage-{count}"
    names = load_catalogue(catalogue).names
    got = {"catalogue read": timed(lambda: load_catalogue(catalogue))}
    got["definitions"] = timed(lambda: repositories(catalogue, storage), repeats=1 if count > 10 else 3)
    loaded = location_load(catalogue, storage)
    got["code location load"] = loaded["built"] + loaded["snapshot"]
    with Webserver(catalogue, storage, root / f"webserver-home-{count}") as server:
        got["webserver ready"] = server.load_s
        queries = [server.asset_graph() for _ in range(5)]
    got["asset graph query"] = statistics.median(seconds for seconds, _ in queries)
    nodes = check_nodes(queries[-1][1], names, per_region)
    ticks = quiet_ticks(repositories(catalogue, storage))
    assert len(ticks) == count, f"{len(ticks)} nightlight sensors for {count} regions"
    got["ticks"] = sum(ticks)
    print(
        f"| {count} | {got['catalogue read'] * 1000:.1f} ms | {got['definitions']:.2f} s "
        f"| {got['code location load']:.2f} s ({loaded['snapshot']:.2f} s snapshots) | {got['webserver ready']:.1f} s "
        f"| {got['asset graph query'] * 1000:.0f} ms | {nodes} | {statistics.median(ticks) * 1000:.0f} ms, "
        f"{max(ticks) * 1000:.0f} ms, {sum(ticks):.2f} s |",
        flush=True,
    )
    return got


def growth(results: dict[int, dict[str, float]]) -> None:
    counts = sorted(results)
    print("\n| growth per region | " + " | ".join(MEASURES) + " |")
    print("| --- |" + " --- |" * len(MEASURES))
    for count in counts[1:]:
        ratios = [results[count][m] / results[counts[0]][m] / (count / counts[0]) for m in MEASURES]
        print(
            f"| {count} regions: (x / x at {counts[0]}) / {count // counts[0]} | "
            + " | ".join(f"{r:.2f}" for r in ratios)
            + " |"
        )
    if len(counts) >= 3:
        a, b, c = counts[-3:]
        slopes = []
        for m in MEASURES:
            low = (results[b][m] - results[a][m]) / (b - a)
            high = (results[c][m] - results[b][m]) / (c - b)
            slopes.append(f"{high / low:.2f}" if low > 0 else "n/a (no growth)")
        print(f"| slope {b}→{c} / slope {a}→{b} | " + " | ".join(slopes) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--run", type=int, default=0, help="also time one `run --regions` over this many regions")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        spec = dataclasses.replace(
            DemoSpec.small(), name="bench-city", bbox=(121.15, 30.975, 121.35, 31.125), n_factories=80
        )
        make_demo_region(root / "template", spec)
        per_region = len(build_definitions(root / "template").resolve_asset_graph().get_all_asset_keys())
        print(f"{per_region} assets per region; {os.cpu_count()} CPUs\n")
        print(
            "| regions | catalogue read | definitions (in process) | code location load (fresh process) "
            "| webserver ready | asset graph query (median of 5) | asset nodes "
            "| sensor tick, nothing new (median, slowest, all regions) |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        results = {count: measure(root, count, per_region) for count in args.counts}
        growth(results)
        if args.run:
            run_regions_timing(root, args.run)


def run_regions_timing(root: Path, count: int) -> None:
    from sacnn_dagster.cli.regions import run_regions

    catalogue = make_catalogue(root / "run", count, root / "template")
    first = next(iter(load_catalogue(catalogue).regions.values()))
    single = root / "single"
    single.mkdir()
    shutil.copytree(first.root, single / first.root.name)
    os.environ["DAGSTER_HOME"] = str(root / "home-1")
    one = timed(lambda: run_regions(single, storage_root=str(root / "out-1"), echo=lambda _: None), repeats=1)
    os.environ["DAGSTER_HOME"] = str(root / "home-n")
    many = timed(lambda: run_regions(catalogue, storage_root=str(root / "out-n"), echo=lambda _: None), repeats=1)
    ratio = many / (count * one)
    print(f"\nrun --regions: 1 region {one:.0f} s; {count} regions {many:.0f} s = {ratio:.2f} x ({count} x 1 region)")


if __name__ == "__main__":
    main()
