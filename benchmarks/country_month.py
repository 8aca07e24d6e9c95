"""A country in a month (issue 15): a China-sized month through the feature steps, time and peak memory per step.

    .venv/bin/python benchmarks/country_month.py [--scale 0.2] [--steps factories,read,clean,...]
        [--workdir DIR] [--repeats 3]

The inputs (`country_inputs.py`: a full 28800 x 18000 EOG tile, a boundary of ~50 M pixels x scale, a POI
snapshot of 1 M x scale factories) are generated once into --workdir (default $TMPDIR/sacnn-country) and
reused. Each step runs in a fresh child process, calling the pure functions its asset calls in the asset's
order, and reading and writing the asset's files as the pipeline does:

- factories: read_snapshot, extract_factories (GCJ-02, type 1703), factories.parquet
- read:      the EOG tile chosen (choose_composite), read_composite over the boundary, write_cog (ntl_composite)
- clean:     read_band x 2, clean_ntl, write_cog (ntl_clean, 2 bands)
- preview:   the ntl_clean asset's map (reports.previews.map_png), measured apart: it is not features/ code
- patches:   read_band, rasterize_landuse (no land use: urban = radiance >= 10), extract_patches,
             write_patch_table
- zones:     read_band, zone_statistics
- clean_asset, patches_asset: the ntl_clean asset's cleaning and map, the factory_patches asset's patches
             and zone statistics, each in one process as the asset runs them (their joint peak)
- aoi:       read_composite from the full tile against a pre-clipped file of the same window (median of
             --repeats each, alternating, each read in its own child process)
- sacnn:     the month's SA-CNN input image (factories x features) and one forward pass, no training
             (with the size check switched off, to measure what it would cost)

Peak memory is the child's peak resident set size (`resource.getrusage(RUSAGE_SELF).ru_maxrss`), Python
and the imports included; `base` is its resident size just before the step starts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from country_inputs import MONTH, Inputs, prepare  # noqa: E402

STEPS = ("factories", "read", "clean", "preview", "patches", "zones", "aoi", "sacnn", "clean_asset", "patches_asset")
DEFAULT_STEPS = ("factories", "read", "clean", "patches", "zones", "aoi", "sacnn")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _choice(folder: Path, bounds):
    from sacnn_dagster.nightlights.eog_names import choose_composite, group_tiles, parse_composite_name

    files = [(p, parse_composite_name(p.name)) for p in sorted(folder.iterdir()) if p.suffix == ".tif"]
    return choose_composite(MONTH, group_tiles([f for f in files if f[1]]), bounds, ("npp",), ("vcmcfg",))


def step_factories(inputs: Inputs, out: Path) -> dict:
    from sacnn_dagster.features.pois import extract_factories, read_snapshot

    snapshot = read_snapshot(inputs.snapshot)
    extraction = extract_factories(snapshot, ("1703",), "gcj02", inputs.boundary)
    extraction.factories.to_parquet(out / "factories.parquet", index=False)
    return {"factories": len(extraction.factories)}


def step_read(inputs: Inputs, out: Path, clipped: bool = False, write: bool = True) -> dict:
    from sacnn_dagster.geo.cog import write_cog
    from sacnn_dagster.nightlights.composite_reader import read_composite

    boundary = inputs.boundary
    folder = inputs.clipped("x").parent if clipped else inputs.nightlights
    composite = read_composite(_choice(folder, boundary.bounds), boundary)
    if write:
        write_cog(
            out / "ntl_composite.tif",
            [composite.radiance, composite.coverage],
            composite.grid,
            descriptions=["avg_rade9h", "cf_cvg"],
            tags={"month": MONTH},
        )
    import numpy as np

    return {"window": list(composite.grid.shape), "pixels_inside": int(np.isfinite(composite.radiance).sum())}


def step_clean(inputs: Inputs, out: Path) -> dict:
    import numpy as np

    from sacnn_dagster.features.cleaning import clean_ntl
    from sacnn_dagster.geo.cog import read_band, write_cog

    radiance, grid = read_band(out / "ntl_composite.tif", 1)
    coverage, _ = read_band(out / "ntl_composite.tif", 2)
    cleaned = clean_ntl(radiance, coverage)
    write_cog(
        out / "ntl_clean.tif",
        [cleaned.radiance, np.where(np.isfinite(radiance), cleaned.not_observed, np.nan)],
        grid,
        descriptions=["radiance_clean", "not_observed"],
        tags={"month": MONTH},
    )
    return {"outliers_replaced": cleaned.outliers_replaced, "negatives_zeroed": cleaned.negatives_zeroed}


def step_preview(inputs: Inputs, out: Path) -> dict:
    import numpy as np

    from sacnn_dagster.geo.cog import read_band
    from sacnn_dagster.reports.previews import Layer, map_png

    ntl, grid = read_band(out / "ntl_clean.tif", 1)
    not_observed, _ = read_band(out / "ntl_clean.tif", 2)
    png = map_png(ntl, grid.bounds, MONTH, "nW/cm²/sr", "magma", (Layer(not_observed == 1, "lightsteelblue", "n/o"),))
    return {"png_bytes": len(png), "finite": int(np.isfinite(ntl).sum())}


def step_patches(inputs: Inputs, out: Path) -> dict:
    import geopandas as gpd

    from sacnn_dagster.features.patch_table import write_patch_table
    from sacnn_dagster.features.patches import extract_patches
    from sacnn_dagster.geo.cog import read_band
    from sacnn_dagster.geo.landuse import rasterize_landuse

    ntl, grid = read_band(out / "ntl_clean.tif", 1)
    factories = gpd.read_parquet(out / "factories.parquet")
    landuse_index = rasterize_landuse(None, grid)
    lng, lat = factories.geometry.x.to_numpy(), factories.geometry.y.to_numpy()
    patches = extract_patches(ntl, landuse_index, grid, lng, lat, 1500.0)
    write_patch_table(out / "factory_patches.parquet", factories["id"].to_numpy(), lng, lat, patches, {"month": MONTH})
    return {"factories": len(factories), "patch": list(patches.windows.shape[1:])}


def step_clean_asset(inputs: Inputs, out: Path) -> dict:
    """The ntl_clean asset's whole work in one process: the cleaning, then its map with the arrays alive."""
    import numpy as np

    from sacnn_dagster.features.cleaning import clean_ntl
    from sacnn_dagster.geo.cog import read_band, write_cog
    from sacnn_dagster.reports.previews import Layer, map_png

    radiance, grid = read_band(out / "ntl_composite.tif", 1)
    coverage, _ = read_band(out / "ntl_composite.tif", 2)
    cleaned = clean_ntl(radiance, coverage)
    write_cog(
        out / "ntl_clean.tif",
        [cleaned.radiance, np.where(np.isfinite(radiance), cleaned.not_observed, np.nan)],
        grid,
        descriptions=["radiance_clean", "not_observed"],
        tags={"month": MONTH},
    )
    after_write = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    layer = Layer(cleaned.not_observed, "lightsteelblue", "not observed")
    png = map_png(cleaned.radiance, grid.bounds, MONTH, "nW/cm²/sr", "magma", (layer,))
    return {"peak_before_map_mb": round(after_write), "png_bytes": len(png)}


def step_patches_asset(inputs: Inputs, out: Path) -> dict:
    """The factory_patches asset's whole work in one process: patches, then zone statistics with them alive."""
    import geopandas as gpd

    from sacnn_dagster.features.patch_table import write_patch_table
    from sacnn_dagster.features.patches import extract_patches, zone_statistics
    from sacnn_dagster.geo.cog import read_band
    from sacnn_dagster.geo.landuse import rasterize_landuse

    ntl, grid = read_band(out / "ntl_clean.tif", 1)
    factories = gpd.read_parquet(out / "factories.parquet")
    landuse_index = rasterize_landuse(None, grid)
    urban = ntl >= 10.0
    lng, lat = factories.geometry.x.to_numpy(), factories.geometry.y.to_numpy()
    patches = extract_patches(ntl, landuse_index, grid, lng, lat, 1500.0)
    zones = zone_statistics(ntl, urban)
    write_patch_table(
        out / "factory_patches.parquet", factories["id"].to_numpy(), lng, lat, patches, {"month": MONTH, **zones}
    )
    return {"factories": len(factories)}


def step_zones(inputs: Inputs, out: Path) -> dict:
    from sacnn_dagster.features.patches import zone_statistics
    from sacnn_dagster.geo.cog import read_band

    ntl, _ = read_band(out / "ntl_clean.tif", 1)
    zones = zone_statistics(ntl, ntl >= 10.0)
    return {"urban_pixels": zones["urban_pixels"], "rural_pixels": zones["rural_pixels"]}


def step_sacnn(inputs: Inputs, out: Path) -> dict:
    import numpy as np
    import torch

    from sacnn_dagster.features.patches import FEATURE_COLUMNS
    from sacnn_dagster.models.sacnn.network import SacnnNet, image_side
    from sacnn_dagster.models.sacnn.preprocessing import fit_input_transform, model_tensors

    torch.set_num_threads(2)
    n = json.loads((inputs.scaled / "done.json").read_text())["factories"]
    f = len(FEATURE_COLUMNS)
    rng = np.random.default_rng(0)
    tables = rng.gamma(1.0, 10.0, (2, n, f)).astype(np.float32)  # two months: the transform needs a mean
    side = image_side(n, f)
    transform = fit_input_transform(tables, "relative")
    state = {"side": side, "scalar_mean": [0.0] * 8, "scalar_std": [1.0] * 8, "scalar_whitening": np.eye(8).tolist()}
    t = time.perf_counter()
    images, svec = model_tensors(tables[:1], np.zeros((1, 8)), transform, state, torch.device("cpu"))
    built = time.perf_counter() - t
    image_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    net = SacnnNet(side, 8).to(memory_format=torch.channels_last).eval()
    with torch.no_grad():
        net(images, svec)
    return {
        "factories": n,
        "image_side": side,
        "image_seconds": round(built, 2),
        "peak_after_image_mb": round(image_peak),
    }


def child(step: str, inputs: Inputs, clipped: bool) -> None:
    out = inputs.scaled / "out"
    out.mkdir(exist_ok=True)
    base = _rss_mb()
    t = time.perf_counter()
    if step == "aoi":
        info = step_read(inputs, out, clipped=clipped, write=False)
    else:
        info = globals()[f"step_{step}"](inputs, out)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"step": step, "seconds": seconds, "peak_mb": peak, "base_mb": base, **info}))


def run_child(step: str, args, clipped: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--child", step, "--workdir", str(args.workdir), "--scale", str(args.scale)]
    if clipped:
        cmd.append("--clipped")
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return {"step": step, "error": (done.stderr.strip().splitlines() or ["?"])[-1], "rc": done.returncode}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--steps", default=",".join(DEFAULT_STEPS), help=f"comma-separated, from {','.join(STEPS)}")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "sacnn-country")
    ap.add_argument("--repeats", type=int, default=3, help="reads of each kind for the aoi comparison")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--clipped", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    inputs = Inputs(args.workdir, args.scale)
    if args.child:
        child(args.child, inputs, args.clipped)
        return 0

    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        ap.error(f"unknown step(s) {', '.join(unknown)}; steps are {', '.join(STEPS)}")
    t = time.perf_counter()
    prepare(args.workdir, args.scale)
    print(f"inputs ready in {time.perf_counter() - t:.0f} s; scale {args.scale:g}; {os.cpu_count()} CPUs")
    print("step       wall s   peak RSS MB   base MB   details")
    features_s, features_peak, failed = 0.0, 0.0, False
    for step in steps:
        if step == "aoi":
            full, clipped = [], []
            for _ in range(args.repeats):
                full.append(run_child("aoi", args))
                clipped.append(run_child("aoi", args, clipped=True))
            if any("error" in r for r in full + clipped):
                print(f"aoi        FAILED {[r for r in full + clipped if 'error' in r][0]}")
                continue
            f_s = statistics.median(r["seconds"] for r in full)
            c_s = statistics.median(r["seconds"] for r in clipped)
            f_m = statistics.median(r["peak_mb"] for r in full)
            c_m = statistics.median(r["peak_mb"] for r in clipped)
            print(
                f"aoi        full tile {f_s:.1f} s ({f_m:.0f} MB) vs pre-clipped {c_s:.1f} s ({c_m:.0f} MB): "
                f"ratio {f_s / c_s:.2f} (medians of {args.repeats}; runs {[round(r['seconds'], 1) for r in full]} "
                f"vs {[round(r['seconds'], 1) for r in clipped]})"
            )
            continue
        r = run_child(step, args)
        if "error" in r:
            failed = True
            print(f"{step:<10} FAILED (rc {r['rc']}): {r['error']}")
            continue
        details = {k: v for k, v in r.items() if k not in ("step", "seconds", "peak_mb", "base_mb")}
        print(f"{step:<10} {r['seconds']:7.1f} {r['peak_mb']:12.0f} {r['base_mb']:9.0f}   {details}")
        if step in ("factories", "read", "clean", "patches", "zones"):
            features_s += r["seconds"]
            features_peak = max(features_peak, r["peak_mb"])
    print(f"features: {features_s:.1f} s in all, largest peak {features_peak:.0f} MB (targets: 180 s, 4096 MB)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
