"""Accuracy bench: how good every model's monthly GVIO is on regions nobody tuned on (issue 11, item 1).

    .venv/bin/python benchmarks/accuracy.py --quick     # 4 small generated regions + Mumbai, 2 test years
    .venv/bin/python benchmarks/accuracy.py             # the full bank: 8 generated regions + Mumbai, 3 years
    .venv/bin/python benchmarks/accuracy.py --regions lockdown-2022 mumbai --quick

The bank (benchmarks/accuracy_bank.py, where each knob's setting is explained) differs in factory count,
growth and decline, shocks, cloudiness, how light scales with output, dark factories, POI churn and
combined January-February releases; in every region the last year is never published. Each region runs
through the whole pipeline in-process (`cli.run.run_region`, into a temporary storage and Dagster
instance), then every model in models.registry.MODELS is refitted on the stored patch tables per
rolling-origin fold (evaluation.rolling_origin: train on every label up to the end of year Y, predict
every month of Y+1) and scored against the TRUE monthly totals the generator writes:
R², MAPE, the share of true months inside the model's nominal 90 % interval, MAPE on cloudy months (a third
or more of the area unseen) against clear ones, and the worst month. The served grid, summed by district
and year (gvio_by_district), is scored against the true district totals (R² over district-years).
Where the estimate tables carry a boolean `selected`, the chosen model is reported again as "selected".

Printed: one table per region, then per model the median and the worst over the bank. Written:
benchmarks/results/accuracy-<quick|full>.json (not committed). Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import dagster as dg
from accuracy_bank import bank, build_mumbai, mumbai_cloudy_months
from accuracy_scores import score_region

from sacnn_dagster.cli.run import run_region
from sacnn_dagster.demo import make_demo_region, plan_quirks

RESULTS = Path(__file__).parent / "results"
#: Scores where higher is better; for the others (MAPE, cloudy-month MAPE excess) lower is better.
COVERAGES = ("coverage", "conformal_coverage", "conformal_coverage_alone", "conformal_coverage_shared")
HIGHER_IS_BETTER = {"r2", *COVERAGES, "district_r2"}


def run_one(entry, quick: bool, workdir: Path) -> dict:
    region = workdir / entry.name / "region"
    storage = workdir / entry.name / "storage"
    done = workdir / entry.name / "pipeline.json"  # written last: a kept workdir's region is rescored only
    began = time.perf_counter()
    if done.exists():
        report_ok, failures, pipeline_s = json.loads(done.read_text())
    else:
        shutil.rmtree(workdir / entry.name, ignore_errors=True)  # a half-built region from a killed bench
        if entry.spec is None:
            build_mumbai(region, quick)
        else:
            make_demo_region(region, entry.spec)
        home = workdir / entry.name / "dagster"
        home.mkdir(parents=True)
        with dg.instance_for_test(temp_dir=str(home)) as instance:
            report = run_region(region, storage_root=str(storage), instance=instance, echo=lambda _: None)
        report_ok, failures, pipeline_s = report.ok, report.failures, time.perf_counter() - began
        done.write_text(json.dumps([report_ok, failures, pipeline_s], default=str))
    cloudy = set(mumbai_cloudy_months(region) if entry.spec is None else plan_quirks(entry.spec).cloudy_months)
    scores = score_region(storage, region, n_years=2 if quick else 3, cloudy=cloudy)
    scores.update(
        name=entry.name,
        why=entry.why,
        run_ok=report_ok,
        run_failures=failures,
        pipeline_seconds=round(pipeline_s, 1),
        seconds=round(time.perf_counter() - began, 1),
    )
    return scores


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.2g}" if abs(value) >= 1e6 else f"{value:.{digits}f}"  # a model that blew up


def region_table(result: dict) -> list[str]:
    district = (result.get("district") or {}).get("r2")
    lines = [
        f"## {result['name']}: {result['why']} (folds {result['fold_years']}, {result['n_labels']} labels, "
        f"grid district-year R² {_fmt(district)}, run {'ok' if result['run_ok'] else 'FAILED'}, {result['seconds']} s)",
        "| model | R² | R² by fold | MAPE % | 90 % coverage: own, conformal | cloudy MAPE % | clear MAPE % "
        "| worst month (APE %) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for model, s in result["models"].items():
        lines.append(
            f"| {model} | {_fmt(s['r2'])} | {' / '.join(_fmt(f['r2'], 2) for f in s['folds'].values())} | "
            f"{_fmt(s['mape'], 2)} | {_fmt(s['coverage'], 2)}, {_fmt(s.get('conformal_coverage'), 2)} | "
            f"{_fmt(s['mape_cloudy'], 2)} | {_fmt(s['mape_clear'], 2)} | "
            f"{s['worst_month']} ({_fmt(s['worst_ape'], 1)}) |"
        )
    return lines


def summary(results: list[dict]) -> dict[str, dict]:
    """Per model: the median and the worst over the bank of each score (worst = lowest R², coverage
    furthest from 0.90, highest MAPE and cloudy-month excess)."""
    per_model: dict[str, dict[str, list[float]]] = {}
    for result in results:
        for model, s in result["models"].items():
            row = per_model.setdefault(model, {})
            values = {
                "r2": s["r2"],
                "mape": s["mape"],
                "coverage": s["coverage"],
                "conformal_coverage": s.get("conformal_coverage"),
                "conformal_coverage_alone": s.get("conformal_coverage_alone"),
                "conformal_coverage_shared": s.get("conformal_coverage_shared"),
                "cloudy_excess": s["mape_cloudy"] - s["mape_clear"],
            }
            for key, value in values.items():
                if value is not None and math.isfinite(value):
                    row.setdefault(key, []).append(value)
    out = {}
    for model, row in per_model.items():
        out[model] = {}
        for key, values in row.items():
            if key in COVERAGES:
                worst = max(values, key=lambda v: abs(v - 0.90))
            else:
                worst = min(values) if key in HIGHER_IS_BETTER else max(values)
            out[model][key] = {"median": statistics.median(values), "worst": worst, "n": len(values)}
    districts = [r["district"]["r2"] for r in results if r.get("district") and r["district"].get("r2") is not None]
    if districts:
        out["grid"] = {
            "district_r2": {"median": statistics.median(districts), "worst": min(districts), "n": len(districts)}
        }
    return out


def summary_table(summ: dict[str, dict]) -> list[str]:
    lines = [
        "## over the bank: median (worst)",
        "| model | R² | MAPE % | 90 % coverage, own | 90 % coverage, conformal (months published alone; in a "
        "shared label) | cloudy - clear MAPE (points) | regions |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for model, row in summ.items():
        if model == "grid":
            continue

        def cell(key, digits=3, row=row):
            s = row.get(key)
            return f"{_fmt(s['median'], digits)} ({_fmt(s['worst'], digits)})" if s else "—"

        n = max((s["n"] for s in row.values()), default=0)
        lines.append(
            f"| {model} | {cell('r2')} | {cell('mape', 2)} | {cell('coverage', 2)} | "
            f"{cell('conformal_coverage', 2)} ({cell('conformal_coverage_alone', 2)}; "
            f"{cell('conformal_coverage_shared', 2)}) | {cell('cloudy_excess', 2)} | {n} |"
        )
    if "grid" in summ:
        g = summ["grid"]["district_r2"]
        lines.append(
            f"\nServed grid, district-year R²: median {_fmt(g['median'])}, worst {_fmt(g['worst'])} ({g['n']} regions)"
        )
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 small generated regions + Mumbai, 2 test years")
    parser.add_argument("--regions", nargs="*", help="only these bank regions (by name)")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the built regions and their pipeline outputs here; a later run with the same folder only "
        "rescores them (for changing a model without rebuilding the bank)",
    )
    parser.add_argument("--out", type=Path, help="JSON path (default benchmarks/results/accuracy-<mode>.json)")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    entries = [e for e in bank(args.quick) if not args.regions or e.name in args.regions]
    results = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="accuracy-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        for entry in entries:
            result = run_one(entry, args.quick, workdir)
            results.append(result)
            print("\n".join(region_table(result)), "\n", flush=True)
    summ = summary(results)
    print("\n".join(summary_table(summ)))
    print(f"\n{len(results)} regions in {time.perf_counter() - began:.0f} s ({mode})")
    out = args.out or RESULTS / f"accuracy-{mode}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"mode": mode, "regions": results, "summary": summ}, indent=1, default=str))
    print(f"written: {out}")


if __name__ == "__main__":
    main()
