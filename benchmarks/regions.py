"""What many regions cost, and which Dagster shape holds them (issue 14; README "Many regions").

    .venv/bin/python benchmarks/regions.py [--counts 1 10 50] [--run 3]

Generates one small region (a smaller cut of the small demo: 80 factories, 30 months) and copies it under new
region names into a catalogue of N regions, then measures, each in this one process and against N = 1 as the
reference:

- catalogue: reading and validating every region folder (config/catalogue.py);
- definitions: building and resolving (`Definitions.validate_loadable`) each region's code location as one
  region's is built today (`build_definitions`, once per region), as a code location per region, or
  `run --regions`, does;
- sensor tick: each region's nightlight_sensor looking with nothing new (after a first look), against an
  instance that holds every region's cursors and run keys;
- one Definitions (candidate A in one code location): the regions' definitions with asset keys prefixed by
  the region name (`AssetsDefinition.with_attributes`), merged into one `Definitions`: whether Dagster accepts
  it, and the first line of its refusal when it does not.

--run K: one `run --regions` over K of the regions (fresh instance and storage), its wall time against K times
one region's, to see that each region costs what one costs and nothing grows with the count.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import dagster as dg

from sacnn_dagster.config.catalogue import load_catalogue
from sacnn_dagster.defs.code_location import build_definitions
from sacnn_dagster.demo import DemoSpec, make_demo_region


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


def load(region: Path) -> None:
    """One region's code location as Dagster loads it: built, then its repository (asset graph, jobs, sensors)
    resolved and validated."""
    dg.Definitions.validate_loadable(build_definitions(region))


def quiet_ticks(regions: list[Path]) -> tuple[float, float]:
    """Each region's nightlight_sensor: a first look (everything new), then a look with nothing new, timed; the
    (median, slowest) of the quiet looks. Each region's sensor ticks in its own code location."""
    from sacnn_dagster.defs.resources import CredentialsResource, RegionResource

    times = []
    with dg.instance_for_test() as instance:
        for region in regions:
            sensor = build_definitions(region).resolve_sensor_def("nightlight_sensor")
            resources = {"region": RegionResource(path=str(region), credentials=CredentialsResource())}
            with dg.build_sensor_context(instance=instance, resources=resources) as context:
                cursor = sensor(context).cursor
            started = time.perf_counter()
            with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
                assert not sensor(context).run_requests
            times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def one_definitions(catalogue: Path) -> str:
    """Candidate A in one code location: every region's assets, keys prefixed by the region, in one Definitions."""
    per_region = []
    for name, region in load_catalogue(catalogue).regions.items():
        defs = build_definitions(region.root, None)
        assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]
        keys = {k for a in assets for k in a.keys}
        replaced = {k: k.with_prefix(name) for k in keys}
        prefixed = [a.with_attributes(asset_key_replacements=replaced) for a in assets]
        per_region.append(dg.Definitions(assets=prefixed, resources=defs.resources))
    try:
        dg.Definitions.validate_loadable(dg.Definitions.merge(*per_region))
    except Exception as error:  # the refusal is the measurement
        return f"refused: {type(error).__name__}: {str(error).splitlines()[0][:150]}"
    return "accepted"


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
        build_definitions(root / "template")  # imports warmed up: not counted
        print(
            "| regions | catalogue read | definitions built and resolved | per region | ratio to 1 region "
            "| sensor tick, nothing new (median, slowest) |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        reference = None
        for count in args.counts:
            catalogue = make_catalogue(root, count, root / "template")
            read = timed(lambda c=catalogue: load_catalogue(c))
            regions = load_catalogue(catalogue).regions.values()
            built = timed(lambda r=regions: [load(x.root) for x in r], repeats=1 if count > 10 else 3)
            per = built / count
            reference = reference or per
            tick, slowest = quiet_ticks([r.root for r in regions])
            print(
                f"| {count} | {read * 1000:.0f} ms | {built:.2f} s | {per * 1000:.0f} ms | {per / reference:.2f} "
                f"| {tick * 1000:.0f} ms, {slowest * 1000:.0f} ms |"
            )
        merged = one_definitions(make_catalogue(root, 2, root / "template"))
        print(f"\nOne Definitions for 2 regions, keys prefixed: {merged}")
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
