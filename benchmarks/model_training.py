"""Model training time on a Shanghai-sized dataset: SA-CNN to early stop (median of `--repeats` runs, with
its epochs), and the random forest, the linear baseline and the sum-ridge fits, all in the same run.

    .venv/bin/python benchmarks/model_training.py [--months 108] [--factories 3000] [--repeats 3]
    .venv/bin/python benchmarks/model_training.py --patches DIR --statistics gvio_monthly.csv

Without --patches, the data are synthetic: 108 months (96 labels: every January-February combined, three
months unpublished), 3000 factories x 20 features, factory light rising with output^0.6 on top of a
growing city light. Threads: each model's own setting (2 by default); run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from sacnn_dagster.config.months import month_range
from sacnn_dagster.features.patches import FEATURE_COLUMNS
from sacnn_dagster.models.dataset import SCALAR_COLUMNS, FactoryRegistry, Labels, MonthlyDataset
from sacnn_dagster.models.rivals import LinearNtlModel, RandomForestModel, SumRidgeModel
from sacnn_dagster.models.sacnn import SacnnModel


def synthetic(n_months: int, n_factories: int, seed: int = 0) -> tuple[MonthlyDataset, Labels]:
    rng = np.random.default_rng(seed)
    months = month_range("2014-01", "2100-12")[:n_months]
    moy = np.array([int(m[5:]) for m in months])
    t = np.arange(n_months) / 12.0
    index = (1 + 0.03 * t) * np.where(moy == 2, 0.75, 1.0) * np.exp(rng.normal(0, 0.02, n_months))
    capacity = rng.lognormal(0.0, 1.0, n_factories)
    output = capacity[None] * index[:, None] * np.exp(rng.normal(0, 0.05, (n_months, n_factories)))
    city = 5.0 * 1.06**t
    light = 10 * output**0.6 + city[:, None] * rng.uniform(0.5, 2.0, n_factories)[None]
    tables = np.zeros((n_months, n_factories, len(FEATURE_COLUMNS)), np.float32)
    for j in range(len(FEATURE_COLUMNS) - 2):
        tables[:, :, j] = light * rng.uniform(0.5, 30.0) * rng.uniform(0.9, 1.1, light.shape)
    tables[:, :, -2] = 4
    tables[:, :, -1] = 1.0
    scalars = np.zeros((n_months, len(SCALAR_COLUMNS)))
    scalars[:, 0], scalars[:, 1], scalars[:, 2], scalars[:, 3] = 1e4 * city + light.sum(1), 2 * city, city, 1e4
    scalars[:, 4], scalars[:, 5], scalars[:, 6], scalars[:, 7] = 3e4 * city / 5, city / 5, city / 10, 3e4
    data = MonthlyDataset(
        months,
        FactoryRegistry(tuple(f"f{i}" for i in range(n_factories))),
        tables,
        scalars,
        scalars[:, 0] + scalars[:, 4],
        np.zeros(n_months, np.int64),
    )
    truth = output.sum(axis=1)
    groups, i = [], 0
    unpublished = set(rng.choice(np.flatnonzero(moy > 2), 3, replace=False).tolist())
    while i < n_months:
        if moy[i] == 1 and i + 1 < n_months:
            groups.append([i, i + 1])
            i += 2
            continue
        if i not in unpublished:
            groups.append([i])
        i += 1
    membership = np.zeros((len(groups), n_months))
    for k, g in enumerate(groups):
        membership[k, g] = 1
    labels = Labels([months[g[0]] for g in groups], membership @ truth, membership, membership.sum(1).astype(int))
    return data, labels


def real(patches: Path, stats: Path) -> tuple[MonthlyDataset, Labels]:
    from sacnn_dagster.features.statistics import parse_statistics
    from sacnn_dagster.models.dataset import build_labels, load_dataset

    data = load_dataset({p.stem: p for p in sorted(patches.glob("*.parquet"))})
    labels, _ = build_labels(parse_statistics(stats), data.months)
    return data, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--months", type=int, default=108)
    ap.add_argument("--factories", type=int, default=3000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--patches", type=Path)
    ap.add_argument("--statistics", type=Path)
    args = ap.parse_args()
    data, labels = real(args.patches, args.statistics) if args.patches else synthetic(args.months, args.factories)
    print(
        f"{len(data.months)} months, {len(labels)} labels ({int((labels.months_per_label > 1).sum())} combined), "
        f"{data.tables.shape[1]} factories x {data.tables.shape[2]} features"
    )

    runs = []
    for _ in range(args.repeats):
        info = SacnnModel(seed=0).fit(data, labels)
        runs.append(info)
        print(
            f"  sacnn run: {info['seconds']:.1f} s, {info['epochs']} epochs (best {info['best_epoch']}), "
            f"image {info['image_side']}x{info['image_side']}, {info['threads']} threads"
        )
    print(
        f"sacnn: median {statistics.median(r['seconds'] for r in runs):.1f} s to early stop, "
        f"epochs {[r['epochs'] for r in runs]}, "
        f"{statistics.median(r['seconds'] / r['epochs'] for r in runs):.2f} s/epoch (incl. input preparation)"
    )
    for cls in (RandomForestModel, LinearNtlModel, SumRidgeModel):
        start = time.perf_counter()
        cls().fit(data, labels)
        print(f"{cls.name}: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
