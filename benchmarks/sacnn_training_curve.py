"""SA-CNN's out-of-time R² against training time, on CPU (issue 11, item 6).

    .venv/bin/python benchmarks/sacnn_training_curve.py [--seeds 21 22 23] [--factories 400] [--epochs 30]
        [--configs default lr3e-4 lr3e-3 anomaly]

Regions: benchmarks/cloudy_months.py's generated regions (2018-2022, a cloudy June and October every
year; odd seeds with two lockdown-like months in 2022), trained on every label up to 2021-12 and scored on
the twelve months of 2022 against the true totals. Each configuration trains for `--epochs` epochs
without early stopping, scoring the weights after every epoch (epoch 0: the output layer's warm start
from the statistics, before any gradient step); the epoch early stopping (patience 10 on the validation
labels) would have kept is found from the run's own validation losses. Printed per configuration: epoch,
median seconds, median and worst out-of-time R² over the regions; then R² at the early-stopped epoch.
Threads: the model's own (2); run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from cloudy_months import SHOCK, TEST_YEAR, simulate, yearly_clouds
from sklearn.metrics import r2_score

from sacnn_dagster.models.sacnn import SacnnModel

CONFIGS = {
    "default": {},
    "lr3e-4": {"lr": 3e-4},
    "lr3e-3": {"lr": 3e-3},
    "anomaly": {"inputs": "anomaly"},
    "scaled": {"inputs": "scaled"},
    "zero-head": {"head_init": "zero"},
    "batch10": {"batch_size": 10},
}
PATIENCE = 10


def early_stop_epoch(start_loss: float | None, history: list, patience: int) -> int:
    """The epoch the model's early stopping keeps (0: the start), from the validation loss before training
    and its [train, validation] loss after each epoch."""
    best, best_epoch, since = np.inf if start_loss is None else start_loss, 0, 0
    for epoch, (_, val) in enumerate(history, start=1):
        if val < best:
            best, best_epoch, since = val, epoch, 0
        else:
            since += 1
            if since >= patience:
                break
    return best_epoch


def curve(case, config: dict, epochs: int) -> tuple[list[float], list[float], int]:
    """Out-of-time R² and elapsed seconds after each epoch (0..epochs), and the early-stopped epoch."""
    test = [k for k, m in enumerate(case.data.months) if m.startswith(TEST_YEAR)]
    r2, seconds = [], []
    start = time.perf_counter()

    def record(epoch: int, estimate: np.ndarray) -> None:
        seconds.append(time.perf_counter() - start)
        r2.append(float(r2_score(case.truth[test], estimate[test])))

    model = SacnnModel(**{**config, "max_epochs": epochs, "patience": epochs + 1})
    model.on_epoch = record
    info = model.fit(case.data, case.labels)
    return r2, seconds, early_stop_epoch(info["start_loss"], info["loss_history"], PATIENCE)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[21, 22, 23])
    ap.add_argument("--factories", type=int, default=400)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--configs", nargs="+", default=["default", "lr3e-4", "lr3e-3", "anomaly"])
    args = ap.parse_args()
    cases = [simulate(s, args.factories, yearly_clouds(0.4, True), SHOCK if s % 2 else {}) for s in args.seeds]
    n = cases[0].data.tables.shape[1:]
    print(f"{len(cases)} regions, {len(cases[0].data.months)} months, {n[0]} factories x {n[1]} features")
    for name in args.configs:
        runs = [curve(case, CONFIGS[name], args.epochs) for case in cases]
        print(f"\n{name} {CONFIGS[name]}: epoch, median s, median R², worst R²")
        for epoch in range(args.epochs + 1):
            if epoch > 5 and epoch % 5:
                continue
            r2 = [r[0][epoch] for r in runs]
            sec = statistics.median(r[1][epoch] for r in runs)
            print(f"  {epoch:3d} {sec:6.1f} {statistics.median(r2):7.3f} {min(r2):7.3f}")
        stopped = [r[0][r[2]] for r in runs]
        print(
            f"  early stop (patience {PATIENCE}) at epochs {[r[2] for r in runs]}: "
            f"median R² {statistics.median(stopped):.3f}, worst {min(stopped):.3f}"
        )


if __name__ == "__main__":
    main()
