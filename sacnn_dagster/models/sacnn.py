"""SA-CNN (Gong et al. 2025) in PyTorch: one month = one single-channel image of its per-factory features.

Faithful to the paper:
- the month's table (factories x features, the registry's fixed factory order) is flattened factory by
  factory and zero-padded into a square image of side ceil(sqrt(R * F)) (at least 29, the smallest side
  the three pooling stages accept); zeros become 1e-4;
- Conv 1->16 (3x3, padding 1) -> ReLU -> MaxPool(5, stride 2); Conv 16->32 -> ReLU -> MaxPool(5, 2);
  Conv 32->64 -> ReLU -> MaxPool(5, 2); flatten; the month's urban/rural NTL statistics concatenated;
  one Linear layer -> 1 value. No dropout, no batch norm;
- MSE on a z-scored target, Adam, batch 20.

Practical choices (the paper ran 10 000 epochs at lr 1e-4 on raw X: hours on a CPU; we must stop within
about a minute of CPU time, i.e. some 20-40 epochs of ~100 months of 243 x 243 images):
- Cloud gaps are filled in time first (`gapfill`): a cloudy month otherwise looks like a month in which
  half the factories stopped.
- The table is scaled before it becomes an image, with statistics of the months that the training labels
  cover only. The raw columns differ by three orders of magnitude (0/1 flags next to buffer sums in the
  thousands): unscaled, the first convolution sees only the sums. Three preparations are offered
  (`inputs`): "scaled" (each feature divided by its RMS), "anomaly" (each cell minus its training mean,
  divided by the feature's RMS anomaly) and, the default, "relative" (each cell's relative departure from
  its training mean, x / mean - 1, clipped to [-1, 3], 0 where the cell is dark on average). With
  "relative", a movement common to all factories (a New Year dip) shifts the whole image uniformly, which
  the max pooling passes on unchanged; it did best in the inner validation.
- The month statistics are standardized and decorrelated (PCA whitening, fitted on the training months):
  the eight statistics are nearly collinear, and Adam needs far fewer steps on decorrelated inputs.
- The output layer is one Linear over [flattened conv features, statistics], held as two weight tensors
  (`ConcatLinear`) so that each part gets an Adam learning rate scaled by 1 / its fan-in, as muP
  prescribes (`lr * head_fan / fan_in`): with ~47 000 inputs, the paper's single rate moves the output by
  tens of standard deviations in one step. Its image part starts at zero and its statistics part at the
  least-squares fit of the training labels on the statistics (`head_init="scalars"`): training starts
  from the linear model of the urban/rural statistics and the convolutions learn what it misses.
- Early stopping on a seeded validation split of the training labels (`val_share`); the best weights
  (the start included) are restored.
- Reproducible: same seed, same data, same thread count -> identical weights (torch.manual_seed,
  deterministic algorithms, `threads` CPU threads; the global torch settings are restored afterwards).
  On CUDA, deterministic mode is requested with warn_only: bit-identity there is not promised.
  The tensors are kept channels-last (NHWC), the same maths with faster oneDNN kernels.

Combined labels (January-February): the loss compares the sum of the months' predictions with the label,
in z units per month: (membership @ prediction - label) / (target std x months in the label), so the
model is free to split the sum unevenly (the New Year month is lower).

Uncertainty: a nominal 90 % interval, estimate +- t(0.95, n-1) * s * sqrt(1 + 1/n), where s is the root
mean square of the early-stopping validation residuals per month (a combined label's residual divided by
sqrt(months)) and n the number of validation labels (`base.residual_half_width`). These labels were not
trained on, but they chose the stopping epoch, so s is slightly optimistic; the t quantile and the
sqrt(1 + 1/n) factor widen it for the small validation set. Below 3 validation labels, twice the training
residuals' width is used. The width is the same for every month.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sacnn_dagster.models.base import (
    MonthlyModel,
    Prediction,
    check_labels,
    read_json,
    residual_half_width,
    write_json,
)
from sacnn_dagster.models.dataset import Labels, MonthlyDataset
from sacnn_dagster.models.gapfill import model_inputs

#: Value given to the image's zeros (the paper's 0.0001).
ZERO_VALUE = 1e-4
#: Smallest image side the three MaxPool(5, 2) stages accept.
MIN_SIDE = 29
#: Input preparations; cells whose training mean is below DARK_SHARE of the feature's mean over all cells
#: are "dark" and left at 0 by the relative preparation.
INPUT_MODES = ("scaled", "anomaly", "relative")
DARK_SHARE = 0.01
RELATIVE_CLIP = (-1.0, 3.0)


def image_side(n_factories: int, n_features: int) -> int:
    return max(MIN_SIDE, math.isqrt(max(n_factories * n_features - 1, 0)) + 1)


def _pooled(side: int) -> int:
    for _ in range(3):
        side = (side - 5) // 2 + 1
    return side


class ConcatLinear(nn.Module):
    """Linear(n_image + n_scalars -> 1) over the concatenation [flattened conv features, scalars]. Its
    weight is held as two tensors so that the two parts can have their own learning rates; mathematically
    one linear layer."""

    def __init__(self, n_image: int, n_scalars: int, zero_image: bool = True):
        super().__init__()
        bound = 1.0 / math.sqrt(n_image + n_scalars)
        self.weight_image = nn.Parameter(
            torch.zeros(1, n_image) if zero_image else torch.empty(1, n_image).uniform_(-bound, bound)
        )
        self.weight_scalars = nn.Parameter(torch.empty(1, n_scalars).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, image: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        return (image @ self.weight_image.T + scalars @ self.weight_scalars.T + self.bias).squeeze(1)


class SacnnNet(nn.Module):
    def __init__(self, side: int, n_scalars: int, zero_image_head: bool = True):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(5, 2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(5, 2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(5, 2),
            nn.Flatten(),
        )
        self.head = ConcatLinear(64 * _pooled(side) ** 2, n_scalars, zero_image_head)

    def forward(self, image: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(image), scalars)


# ---- input preparation (pure functions) -------------------------------------------------------------------


def fit_input_transform(tables: np.ndarray, mode: str) -> dict[str, np.ndarray | str]:
    """Statistics of the training months' (M, R, F) tables for `prepare_table`."""
    if mode not in INPUT_MODES:
        raise ValueError(f"input mode {mode!r} not in {INPUT_MODES}")
    x = np.asarray(tables, dtype=np.float64)
    out: dict = {"mode": mode}
    if mode in ("anomaly", "relative"):
        out["cell_mean"] = x.mean(axis=0).astype(np.float32)
    if mode == "relative":
        feature_mean = np.abs(x).mean(axis=(0, 1))
        out["dark"] = np.abs(out["cell_mean"]) <= DARK_SHARE * feature_mean[None, :]
        return out
    centred = x - out["cell_mean"][None] if mode == "anomaly" else x
    rms = np.sqrt(np.mean(np.square(centred), axis=(0, 1)))
    out["scale"] = np.where(rms > 0, rms, 1.0).astype(np.float32)
    return out


def prepare_table(tables: np.ndarray, transform: dict) -> np.ndarray:
    """(M, R, F) -> (M, R, F) float32 model input (see the module docstring for the three modes)."""
    x = np.asarray(tables, dtype=np.float32)
    mode = transform["mode"]
    if mode == "scaled":
        return x / transform["scale"][None, None, :]
    mean = transform["cell_mean"][None]
    if mode == "anomaly":
        return (x - mean) / transform["scale"][None, None, :]
    dark = transform["dark"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(dark[None], 0.0, x / np.where(dark, 1.0, mean) - 1.0)
    return np.clip(rel, *RELATIVE_CLIP).astype(np.float32)


def to_images(table: np.ndarray, side: int) -> np.ndarray:
    """(M, R, F) prepared tables -> (M, 1, side, side) float32 images: flattened factory by factory,
    zero-padded, zeros set to 1e-4."""
    m = table.shape[0]
    flat = np.asarray(table, dtype=np.float32).reshape(m, -1)
    images = np.zeros((m, side * side), dtype=np.float32)
    images[:, : flat.shape[1]] = flat
    images[images == 0] = ZERO_VALUE
    return images.reshape(m, 1, side, side)


def whitening_matrix(z: np.ndarray) -> np.ndarray:
    """(S, S) PCA whitening of standardized columns `z`; directions without variance are zeroed."""
    if len(z) < 2:
        return np.eye(z.shape[1])
    lam, vec = np.linalg.eigh(np.cov(z, rowvar=False))
    keep = lam > 1e-6 * max(lam.max(), 1e-12)
    return np.where(keep[None, :], vec / np.sqrt(np.where(keep, lam, 1.0))[None, :], 0.0)


def split_validation(n_labels: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) label indices, seeded; no validation below 8 labels."""
    if n_labels < 8 or share <= 0:
        return np.arange(n_labels), np.array([], dtype=np.int64)
    n_val = max(3, int(round(share * n_labels)))
    order = np.random.default_rng(seed).permutation(n_labels)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextlib.contextmanager
def reproducible(seed: int, threads: int | None, device: torch.device):
    """Seeded, deterministic torch with a fixed thread count; the global settings are restored after."""
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    try:
        if threads:
            torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")
        torch.manual_seed(seed)
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)


class SacnnModel(MonthlyModel):
    """SA-CNN; see the module docstring for the architecture, the training and the interval.

    Hyperparameters (chosen by an inner validation on the earliest 80 % of the demo's labels): Adam,
    lr 1e-3 for the convolutions, output layer muP-scaled with `head_fan` 1024, batch 20, at most 40
    epochs, patience 10, 20 % of the labels for validation, relative inputs, statistics warm start.
    """

    name = "sacnn"

    def __init__(
        self,
        *,
        seed: int = 0,
        lr: float = 1e-3,
        batch_size: int = 20,
        max_epochs: int = 40,
        patience: int = 10,
        val_share: float = 0.2,
        inputs: str = "relative",
        head_fan: float = 1024.0,
        head_init: str = "scalars",
        whiten: bool = True,
        gapfill: bool = True,
        device: str = "auto",
        threads: int | None = 2,
        zero_image_head: bool = True,
    ):
        if head_init not in ("scalars", "zero"):
            raise ValueError("head_init must be 'scalars' or 'zero'")
        if inputs not in INPUT_MODES:
            raise ValueError(f"inputs must be one of {INPUT_MODES}")
        self.config = {
            "seed": seed,
            "lr": lr,
            "batch_size": batch_size,
            "max_epochs": max_epochs,
            "patience": patience,
            "val_share": val_share,
            "inputs": inputs,
            "head_fan": head_fan,
            "head_init": head_init,
            "whiten": whiten,
            "gapfill": gapfill,
            "device": device,
            "threads": threads,
            "zero_image_head": zero_image_head,
        }
        self.net: SacnnNet | None = None
        self.state: dict = {}
        self.transform: dict = {}

    # ---- inputs --------------------------------------------------------------------------------------
    def _inputs(self, data: MonthlyDataset) -> tuple[np.ndarray, np.ndarray, dict]:
        tables, scalars, info = model_inputs(data, self.config["gapfill"])
        r = self.state.get("n_factories")
        if r is not None and tables.shape[1] != r:
            # the registry only ever appends: factories added after training are the last rows
            if tables.shape[1] > r:
                info["factories_ignored"] = int(tables.shape[1] - r)
                tables = tables[:, :r]
            else:
                pad = np.zeros((tables.shape[0], r - tables.shape[1], tables.shape[2]), tables.dtype)
                tables = np.concatenate([tables, pad], axis=1)
        return tables, scalars, info

    def _tensors(self, tables: np.ndarray, scalars: np.ndarray, device: torch.device):
        st = self.state
        images = torch.from_numpy(to_images(prepare_table(tables, self.transform), st["side"]))
        z = (scalars - np.asarray(st["scalar_mean"])) / np.asarray(st["scalar_std"])
        z = z @ np.asarray(st["scalar_whitening"])
        images = images.to(device).contiguous(memory_format=torch.channels_last)
        return images, torch.from_numpy(z.astype(np.float32)).to(device)

    # ---- training --------------------------------------------------------------------------------------
    def fit(self, data: MonthlyDataset, labels: Labels) -> dict:
        check_labels(data, labels)
        cfg = self.config
        start = time.perf_counter()
        device = resolve_device(cfg["device"])
        self.state = {}
        tables, scalars, prep_info = self._inputs(data)
        m, r, f = tables.shape

        membership = np.asarray(labels.membership, dtype=np.float64)
        used = membership.sum(axis=0) > 0  # the months the training labels cover
        per_month = labels.values / labels.months_per_label
        mu = float(per_month.mean())
        sigma = float(per_month.std()) if len(labels) > 1 else 0.0
        if not sigma > 0:
            sigma = max(abs(mu) * 0.1, 1.0)
        self.transform = fit_input_transform(tables[used], cfg["inputs"])
        s_mean = scalars[used].mean(axis=0)
        s_std = scalars[used].std(axis=0)
        s_std = np.where(s_std > 0, s_std, 1.0)
        white = whitening_matrix((scalars[used] - s_mean) / s_std) if cfg["whiten"] else np.eye(len(s_mean))
        self.state = {
            "n_factories": r,
            "n_features": f,
            "side": image_side(r, f),
            "n_scalars": scalars.shape[1],
            "scalar_mean": s_mean.tolist(),
            "scalar_std": s_std.tolist(),
            "scalar_whitening": white.tolist(),
            "target_mean": mu,
            "target_std": sigma,
        }
        train_idx, val_idx = split_validation(len(labels), cfg["val_share"], cfg["seed"])
        images, svec = self._tensors(tables, scalars, device)
        target = torch.from_numpy(((labels.values - labels.months_per_label * mu) / sigma).astype(np.float32))
        counts = torch.from_numpy(labels.months_per_label.astype(np.float32))
        member = torch.from_numpy(membership.astype(np.float32))

        def label_residuals(net, rows: np.ndarray) -> torch.Tensor:
            """z-unit residuals per month of the labels `rows`: only their months are computed."""
            sub = member[rows]
            months = torch.nonzero(sub.sum(0) > 0).squeeze(1)
            pred = net(images[months.to(images.device)], svec[months.to(svec.device)]).cpu()
            return (sub[:, months] @ pred - target[rows]) / counts[rows]

        def val_loss(net) -> float:
            net.eval()
            with torch.no_grad():
                return float((label_residuals(net, val_idx) ** 2).mean())

        with reproducible(cfg["seed"], cfg["threads"], device):
            net = SacnnNet(self.state["side"], self.state["n_scalars"], cfg["zero_image_head"]).to(device)
            net = net.to(memory_format=torch.channels_last)
            if cfg["head_init"] == "scalars":
                self._warm_start(net, svec, membership, target.double().numpy(), train_idx)
            opt = torch.optim.Adam(self._param_groups(net))
            order_rng = np.random.default_rng(cfg["seed"] + 1)
            history = []
            best = val_loss(net) if len(val_idx) else math.inf
            best_epoch, best_state, since, epoch = 0, copy.deepcopy(net.state_dict()), 0, 0
            for epoch in range(1, cfg["max_epochs"] + 1):
                net.train()
                order = order_rng.permutation(train_idx)
                total = 0.0
                for b in range(0, len(order), cfg["batch_size"]):
                    rows = order[b : b + cfg["batch_size"]]
                    opt.zero_grad()
                    loss = (label_residuals(net, rows) ** 2).mean()
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(rows)
                train_loss = total / len(order)
                current = val_loss(net) if len(val_idx) else train_loss
                history.append([round(train_loss, 5), round(current, 5)])
                if current < best:
                    best, best_epoch, since = current, epoch, 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    since += 1
                    if len(val_idx) and since >= cfg["patience"]:
                        break
            net.load_state_dict(best_state)
            net.eval()
            self.net = net
            with torch.no_grad():
                monthly = self._raw_predict(images, svec)

        resid = (membership @ monthly - labels.values) / np.sqrt(labels.months_per_label)
        if len(val_idx) >= 3:
            half, interval_from = residual_half_width(resid[val_idx]), "validation residuals"
        else:
            half, interval_from = 2.0 * residual_half_width(resid[train_idx]), "training residuals x 2"
        self.state["half_width"] = half
        info = {
            "model": self.name,
            "seconds": round(time.perf_counter() - start, 2),
            "epochs": epoch,
            "best_epoch": best_epoch,
            "n_labels": len(labels),
            "n_train_labels": int(len(train_idx)),
            "n_val_labels": int(len(val_idx)),
            "val_rmse": float(np.sqrt(np.mean(resid[val_idx] ** 2))) if len(val_idx) else None,
            "train_rmse": float(np.sqrt(np.mean(resid[train_idx] ** 2))),
            "interval_half_width": round(half, 3),
            "interval_from": interval_from,
            "device_used": device.type,
            "image_side": self.state["side"],
            "loss_history": history,
            **cfg,
            **prep_info,
        }
        self.state["training"] = {k: v for k, v in info.items() if k != "loss_history"}
        return info

    def _warm_start(self, net: SacnnNet, svec, membership, target, train_idx) -> None:
        """Statistics part of the output layer := least squares of the training labels (z units, weighted
        per month) on the month statistics; image part stays 0. The convolutions then learn the rest."""
        s = svec.double().cpu().numpy()
        n = membership.sum(axis=1)
        w = 1.0 / np.sqrt(n)
        design = np.column_stack([membership @ s, n])[train_idx] * w[train_idx, None]
        ridge = 1e-3 * np.eye(design.shape[1])
        ridge[-1, -1] = 0.0
        coef = np.linalg.solve(design.T @ design + ridge, design.T @ (target[train_idx] * w[train_idx]))
        with torch.no_grad():
            net.head.weight_scalars.copy_(torch.from_numpy(coef[None, :-1]).float())
            net.head.bias.fill_(float(coef[-1]))

    def _param_groups(self, net: SacnnNet) -> list[dict]:
        """Adam learning rates: `lr` for the convolutions; for each part of the output layer, scaled by
        head_fan / its fan-in (muP for Adam)."""
        lr, fan = self.config["lr"], self.config["head_fan"]
        head = net.head
        return [
            {"params": list(net.features.parameters()), "lr": lr},
            {"params": [head.weight_image], "lr": lr * fan / head.weight_image.shape[1]},
            {"params": [head.weight_scalars, head.bias], "lr": lr * fan / max(head.weight_scalars.shape[1], 1)},
        ]

    def _raw_predict(self, images: torch.Tensor, svec: torch.Tensor, batch: int = 16) -> np.ndarray:
        out = [
            self.net(images[i : i + batch], svec[i : i + batch]).cpu().double().numpy()
            for i in range(0, images.shape[0], batch)
        ]
        z = np.concatenate(out) if out else np.zeros(0)
        return self.state["target_mean"] + self.state["target_std"] * z

    # ---- estimation, persistence ------------------------------------------------------------------------
    def predict(self, data: MonthlyDataset) -> Prediction:
        if self.net is None:
            raise RuntimeError("the model is not trained")
        device = next(self.net.parameters()).device
        tables, scalars, _ = self._inputs(data)
        images, svec = self._tensors(tables, scalars, device)
        with reproducible(self.config["seed"], self.config["threads"], device), torch.no_grad():
            est = self._raw_predict(images, svec)
        half = self.state["half_width"]
        return Prediction(est, est - half, est + half)

    def save(self, folder: Path) -> None:
        """model.json (configuration, input mode, scaling, training summary), transform.npz (the input
        transform's per-cell arrays, needed to prepare new months exactly as in training) and weights.pt
        (the network's state dict). The same model writes the same bytes."""
        if self.net is None:
            raise RuntimeError("the model is not trained")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(
            folder / "model.json",
            {"name": self.name, "config": self.config, "state": self.state, "input_mode": self.transform["mode"]},
        )
        np.savez(folder / "transform.npz", **{k: np.asarray(v) for k, v in self.transform.items() if k != "mode"})
        torch.save({k: v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()}, folder / "weights.pt")

    @classmethod
    def load(cls, folder: Path, device: str | None = None) -> SacnnModel:
        folder = Path(folder)
        meta = read_json(folder / "model.json")
        model = cls(**meta["config"])
        if device is not None:
            model.config["device"] = device
        model.state = meta["state"]
        with np.load(folder / "transform.npz") as arrays:
            model.transform = {"mode": meta["input_mode"], **{k: arrays[k] for k in arrays.files}}
        net = SacnnNet(model.state["side"], model.state["n_scalars"], model.config["zero_image_head"])
        net.load_state_dict(torch.load(folder / "weights.pt", map_location="cpu", weights_only=True))
        model.net = net.to(resolve_device(model.config["device"])).to(memory_format=torch.channels_last).eval()
        return model
