"""Wall time of a whole `run` on the full demo region, phase by phase (the issue's target: under 10
minutes on two cores, aim for 3).

    .venv/bin/python benchmarks/full_demo.py [--region DIR] [--small] [--repeats 1]

Builds the demo region in a temporary folder unless --region is given; every repeat uses a fresh Dagster
instance and output folder, so nothing is reused between repeats (the model is trained each time).
Phases are the steps `run` announces: statistics, features (one range run), model, outputs (one range run),
evaluation (retrains every model on each split).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import dagster as dg

from sacnn_dagster.cli.run import run_region
from sacnn_dagster.demo import DemoSpec, make_demo_region


def timed_run(region: Path, workdir: Path) -> dict[str, float]:
    marks: list[tuple[str, float]] = []

    def echo(line: str) -> None:
        head = line.split(":", 1)[0]
        if head in ("gvio_statistics", "monthly_features", "gvio_model", "monthly_outputs", "model_evaluation"):
            marks.append((head, time.perf_counter()))

    (workdir / "home").mkdir()
    with dg.instance_for_test(temp_dir=str(workdir / "home")) as instance:
        start = time.perf_counter()
        report = run_region(region, storage_root=str(workdir / "out"), instance=instance, echo=echo)
        end = time.perf_counter()
    if not report.ok:
        raise SystemExit(f"run failed: {report.failures}")
    phases = {"setup": marks[0][1] - start}
    for (name, t0), (_, t1) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        phases[name] = t1 - t0
    phases["total"] = end - start
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--region", type=Path)
    parser.add_argument("--small", action="store_true", help="the 30-month test demo instead of the full one")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        region = args.region
        if region is None:
            region = Path(tmp) / "region"
            make_demo_region(region, DemoSpec.small() if args.small else DemoSpec())
        runs = []
        for i in range(args.repeats):
            work = Path(tmp) / f"run{i}"
            work.mkdir()
            runs.append(timed_run(region, work))
            print(f"run {i + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in runs[-1].items()), flush=True)
    print(f"\nmedian of {len(runs)} run(s), seconds:")
    for phase in runs[0]:
        print(f"  {phase:<18} {statistics.median(r[phase] for r in runs):8.1f}")


if __name__ == "__main__":
    main()
