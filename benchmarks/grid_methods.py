"""Grid methods on the accuracy bench's regions: which way of spreading the served estimate over the pixels
matches the true district totals by year best (issue 11, item 4).

    .venv/bin/python benchmarks/accuracy.py --workdir /tmp/bank          # builds the bank and keeps it
    .venv/bin/python benchmarks/grid_methods.py --workdir /tmp/bank      # every method on every region

For every region the pipeline built (its storage kept by `accuracy.py --workdir`), every month's served
estimate is spread again by each method of `gridding.methods` (`light`: the paper's, over the light of
industrial land; `factories`: on each factory's pixel by its share; `blend`: half by each), exactly as the
`gvio_grid` asset does, then summed per district (as `gvio_by_district`) and scored against the true district
totals by year (R² over district-years, complete years only). Prints one row per region and the median and
worst per method; nothing is written to the region's storage.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np
import pandas as pd

from sacnn_dagster.config.region import load_region
from sacnn_dagster.defs.outputs.gvio_grid import factory_shares
from sacnn_dagster.defs.resources.local_storage import LocalOutputStorage
from sacnn_dagster.evaluation.validation import annual_district_r2, district_sums, read_district_truth
from sacnn_dagster.features.patch_table import read_patch_table
from sacnn_dagster.geo.cog import read_band
from sacnn_dagster.geo.districts import district_index, load_districts
from sacnn_dagster.geo.landuse import load_landuse
from sacnn_dagster.gridding.industrial_mask import industrial_mask
from sacnn_dagster.gridding.methods import GRID_METHODS, make_grid, selected_model
from sacnn_dagster.io.layout import month_file, months_stored


def region_scores(region_dir: Path, storage_dir: Path) -> dict[str, float]:
    """District-year R² of each grid method on one kept bench region."""
    config = load_region(region_dir)
    storage = LocalOutputStorage(root=str(storage_dir))
    districts = load_districts(config.districts_path)
    landuse = load_landuse(config.landuse_path)
    truth = read_district_truth(region_dir / "validation" / "district_gvio_annual.csv")
    rows: dict[str, list[pd.DataFrame]] = {m: [] for m in GRID_METHODS}
    index = None
    for month in months_stored(storage.list_keys("gvio_estimate"), "gvio_estimate"):
        estimates = pd.read_parquet(storage_dir / month_file("gvio_estimate", month))
        model = selected_model(estimates)
        estimate = float(estimates.set_index("model").loc[model, "estimate"])
        ntl, grid = read_band(storage_dir / month_file("ntl_clean", month), 1)
        flag, _ = read_band(storage_dir / month_file("ntl_clean", month), 2)
        patches = read_patch_table(storage_dir / month_file("factory_patches", month))
        if index is None:
            index = district_index(districts, grid)
        industrial, _ = industrial_mask(
            landuse, grid, patches.factories["row"].to_numpy(), patches.factories["col"].to_numpy()
        )
        shares = factory_shares(storage, month, patches, model)
        for method in GRID_METHODS:
            result, _ = make_grid(
                method,
                estimate,
                ntl,
                industrial,
                np.isfinite(flag),
                patches.factories["ntl_factory"].to_numpy(),
                shares,
            )
            sums = district_sums(result.gvio.astype(np.float64), index, len(districts))
            rows[method].append(pd.DataFrame({"month": month, "district": districts["name"].astype(str), "gvio": sums}))
    return {m: annual_district_r2(pd.concat(r, ignore_index=True), truth)["r2"] for m, r in rows.items() if r}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workdir", type=Path, required=True, help="a folder kept by accuracy.py --workdir")
    args = parser.parse_args(argv)
    per_method: dict[str, list[float]] = {m: [] for m in GRID_METHODS}
    print("| region | " + " | ".join(GRID_METHODS) + " |\n| --- |" + " --- |" * len(GRID_METHODS))
    for folder in sorted(p for p in args.workdir.iterdir() if (p / "pipeline.json").exists()):
        region = folder / "region"
        if not (region / "validation" / "district_gvio_annual.csv").is_file():
            continue
        scores = region_scores(region, folder / "storage")
        for method, value in scores.items():
            per_method[method].append(value)
        print(f"| {folder.name} | " + " | ".join(f"{scores.get(m, float('nan')):.3f}" for m in GRID_METHODS) + " |")
    for method, values in per_method.items():
        if values:
            print(f"{method}: district-year R² median {statistics.median(values):.3f}, worst {min(values):.3f}")


if __name__ == "__main__":
    main()
