"""SA-CNN (Gong et al. 2025) in PyTorch: one month = one single-channel image of its per-factory features.

Faithful to the paper:
- the month's table (factories x features, the registry's fixed factory order) is flattened row by row
  and zero-padded into a square image of side ceil(sqrt(R * F)) (at least 29, the smallest that the three
  pooling stages accept); zeros become 1e-4;
- Conv 1->16 (3x3, padding 1) -> ReLU -> MaxPool(5, stride 2); Conv 16->32 -> ReLU -> MaxPool(5, 2);
  Conv 32->64 -> ReLU -> MaxPool(5, 2); flatten; the month's urban/rural NTL statistics concatenated;
  Linear -> 1. No dropout, no batch norm;
- MSE on a z-scored target, Adam.

Practical choices (the paper's are 10 000 epochs at lr 1e-4 on raw X: hours on a CPU):
- Per-feature scaling of the table (each column divided by its root mean square over the training months'
  factories, no centring, so that absent factories stay 0). The raw columns differ by three orders of
  magnitude (0/1 flags next to buffer sums in the thousands): unscaled, the first convolution sees only
  the sums, and a learning rate that suits them is wrong for everything else. The scale is fitted on the
  months the training labels cover only.
- Cloud gaps filled in time before anything else (`gapfill`): see that module.
- The urban/rural statistics standardized (mean and std of the training months).
- Early stopping on a seeded validation split of the training labels; the best weights are restored.
- A higher learning rate than the paper's, so that training stops within minutes.
- Reproducible: same seed, same data, same thread count -> identical weights (torch.manual_seed,
  deterministic algorithms, a fixed number of CPU threads, restored afterwards). On CUDA, PyTorch's
  deterministic mode is requested but bit-identity across runs is not promised.

Combined labels (January-February): the loss compares the sum of the months' predictions with the label,
in z units per month: (membership @ prediction - label) / (target std x months in the label), so the
model is free to split the sum unevenly (the New Year month is lower).

Uncertainty: a nominal 90 % interval, estimate +- t(0.95, n-1) * s * sqrt(1 + 1/n), where s is the root
mean square of the early-stopping validation residuals per month (a combined label's residual divided by
sqrt(months)) and n the number of validation labels. These labels were not trained on, but they chose the
stopping epoch, so s is slightly optimistic; the t quantile and the sqrt(1 + 1/n) factor widen it for the
small validation set. With fewer than 3 validation labels the training residuals are used, times 2.
The width is the same for every month (cloudy months, whose input is partly interpolated, are less
certain than that, which the interval does not model).
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

from sacnn_dagster.core.models.base import (
    INTERVAL_COVERAGE,
    MonthlyModel,
    Prediction,
    check_labels,
    read_json,
    write_json,
)
from sacnn_dagster.core.models.dataset import Labels, MonthlyDataset
from sacnn_dagster.core.models.gapfill import model_inputs

#: Value given to the image's zeros (the paper's 0.0001).
ZERO_VALUE = 1e-4
#: Smallest image side the three MaxPool(5, 2) stages accept.
MIN_SIDE = 29


def image_side(n_factories: int, n_features: int) -> int:
    return max(MIN_SIDE, math.isqrt(max(n_factories * n_features - 1, 0)) + 1)


def _pooled(side: int) -> int:
    for _ in range(3):
        side = (side - 5) // 2 + 1
    return side


class SacnnNet(nn.Module):
    def __init__(self, side: int, n_scalars: int, zero_image_head: bool = True):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(5, 2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(5, 2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(5, 2),
            nn.Flatten(),
        )
        self.head = ConcatLinear(64 * _pooled(side) ** 2, n_scalars, zero_image_head)

    def forward(self, image: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(image), scalars)


class ConcatLinear(nn.Module):
    """Linear(n_image + n_scalars -> 1) over the concatenation [flattened conv features, scalars], with
    its weight held as two tensors so that the two parts can have their own learning rates (the image
    part has ~50 000 inputs, the scalars 8). Mathematically one linear layer."""

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


#: Input preparations (see `SacnnModel`); cells whose training mean is below this share of the feature's
#: mean over all cells are "dark" and left at 0 by the relative preparation.
INPUT_MODES = ("scaled", "anomaly", "relative")
DARK_SHARE = 0.01
RELATIVE_CLIP = (-1.0, 3.0)


def fit_input_transform(tables: np.ndarray, mode: str) -> dict:
    """Per-feature / per-cell statistics of the training months' (M, R, F) tables for `prepare_table`."""
    x = np.asarray(tables, dtype=np.float64)
    if mode not in INPUT_MODES:
        raise ValueError(f"input mode {mode!r} not in {INPUT_MODES}")
    out: dict = {"mode": mode}
    if mode in ("anomaly", "relative"):
        out["cell_mean"] = x.mean(axis=0).astype(np.float32)
    if mode == "relative":
        feature_mean = np.abs(x).mean(axis=(0, 1))
        out["dark"] = (np.abs(out["cell_mean"]) <= DARK_SHARE * feature_mean[None, :])
        return out
    centred = x - out["cell_mean"][None] if mode == "anomaly" else x
    rms = np.sqrt(np.mean(np.square(centred), axis=(0, 1)))
    out["scale"] = np.where(rms > 0, rms, 1.0).astype(np.float32)
    return out


def prepare_table(tables: np.ndarray, transform: dict) -> np.ndarray:
    """(M, R, F) -> (M, R, F) float32 model input:
    - scaled: each feature divided by its root mean square over the training cells;
    - anomaly: each cell minus its training mean, then divided by the feature's RMS anomaly;
    - relative: each cell's relative departure from its training mean, x / mean - 1, clipped to
      [-1, 3], 0 for cells that are dark on average (a common movement of all factories then shifts the
      whole image uniformly, which max pooling passes on unchanged)."""
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


def _t_quantile(p: float, dof: int) -> float:
    """Student t quantile (Cornish-Fisher expansion, accurate to ~1e-3 for dof >= 2)."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(p)
    d = max(dof, 1)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / d + g2 / d**2 + g3 / d**3


def residual_half_width(residuals: np.ndarray, coverage: float = INTERVAL_COVERAGE) -> float:
    """Half width of a `coverage` prediction interval from n held-out residuals (per month)."""
    n = len(residuals)
    s = float(np.sqrt(np.mean(np.square(residuals))))
    return _t_quantile(0.5 + coverage / 2, n - 1) * s * math.sqrt(1 + 1 / n)


def split_validation(n_labels: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) label indices, seeded; no validation below 8 labels."""
    if n_labels < 8 or share <= 0:
        return np.arange(n_labels), np.array([], dtype=np.int64)
    n_val = max(3, int(round(share * n_labels)))
    order = np.random.default_rng(seed).permutation(n_labels)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


class SacnnModel(MonthlyModel):
    """SA-CNN: see the module docstring for the architecture, the training and the interval."""

    name = "sacnn"

    def __init__(
        self,
        *,
        seed: int = 0,
        lr: float = 1e-3,
        batch_size: int = 20,
        max_epochs: int = 60,
        patience: int = 10,
        val_share: float = 0.2,
        gapfill: bool = True,
        device: str = "auto",
        threads: int | None = 2,
        inputs: str = "relative",
        head_fan: float = 64.0,
        whiten: bool = True,
        head_init: str = "scalars",
        zero_image_head: bool = True,
    ):
        self.config = {"zero_image_head": zero_image_head, "head_init": head_init, "whiten": whiten, "inputs": inputs, "head_fan": head_fan, 
            "seed": seed, "lr": lr, "batch_size": batch_size, "max_epochs": max_epochs, "patience": patience,
            "val_share": val_share, "gapfill": gapfill, "device": device, "threads": threads,
        }
        self.net: SacnnNet | None = None
        self.state: dict = {}
        self.transform: dict = {}

    # ---- input preparation ---------------------------------------------------------------------------
    def _inputs(self, data: MonthlyDataset) -> tuple[np.ndarray, np.ndarray, dict]:
        tables, scalars, info = model_inputs(data, self.config["gapfill"])
        r = self.state.get("n_factories")
        if r is not None and tables.shape[1] != r:
            # the registry only ever appends: factories added after training are left out
            if tables.shape[1] > r:
                info["factories_ignored"] = int(tables.shape[1] - r)
                tables = tables[:, :r]
            else:
                tables = np.concatenate(
                    [tables, np.zeros((tables.shape[0], r - tables.shape[1], tables.shape[2]), tables.dtype)], 1
                )
        return tables, scalars, info

    def _tensors(self, tables: np.ndarray, scalars: np.ndarray, device: torch.device):
        st = self.state
        images = torch.from_numpy(to_images(prepare_table(tables, self.transform), st["side"]))
        z = (scalars - np.asarray(st["scalar_mean"])) / np.asarray(st["scalar_std"])
        if st.get("scalar_whitening") is not None:
            z = z @ np.asarray(st["scalar_whitening"])
        images = images.to(device).contiguous(memory_format=torch.channels_last)
        return images, torch.from_numpy(z.astype(np.float32)).to(device)

    # ---- training --------------------------------------------------------------------------------------
    def fit(self, data: MonthlyDataset, labels: Labels) -> dict:
        check_labels(data, labels)
        cfg = self.config
        start = time.perf_counter()
        device = resolve_device(cfg["device"])
        tables, scalars, prep_info = self._inputs(data)
        m, r, f = tables.shape

        membership = np.asarray(labels.membership, dtype=np.float64)
        used = membership.sum(axis=0) > 0  # months covered by the training labels
        per_month = labels.values / labels.months_per_label
        mu = float(per_month.mean())
        sigma = float(per_month.std()) if len(labels) > 1 else 0.0
        if not sigma > 0:
            sigma = max(abs(mu) * 0.1, 1.0)
        self.transform = fit_input_transform(tables[used], cfg["inputs"])
        s_mean = scalars[used].mean(axis=0)
        s_std = scalars[used].std(axis=0)
        s_std = np.where(s_std > 0, s_std, 1.0)
        whitening = None
        if cfg["whiten"]:
            zs = (scalars[used] - s_mean) / s_std
            lam, vec = np.linalg.eigh(np.cov(zs, rowvar=False) if len(zs) > 1 else np.eye(zs.shape[1]))
            keep = lam > 1e-6 * max(lam.max(), 1e-12)
            whitening = np.where(keep[None, :], vec / np.sqrt(np.where(keep, lam, 1.0))[None, :], 0.0).tolist()
        self.state = {
            "n_factories": r, "n_features": f, "side": image_side(r, f), "n_scalars": scalars.shape[1],
            "scalar_mean": s_mean.tolist(), "scalar_std": s_std.tolist(),
            "scalar_whitening": whitening,
            "target_mean": mu, "target_std": sigma,
        }
        train_idx, val_idx = split_validation(len(labels), cfg["val_share"], cfg["seed"])
        images, svec = self._tensors(tables, scalars, device)
        target = torch.from_numpy(((labels.values - labels.months_per_label * mu) / sigma).astype(np.float32))
        counts = torch.from_numpy(labels.months_per_label.astype(np.float32))
        member = torch.from_numpy(membership.astype(np.float32))

        def label_z(net, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
            """z-unit residuals per month of the labels `rows` (and the predictions of their months)."""
            sub = member[rows]
            months = torch.nonzero(sub.sum(0) > 0).squeeze(1)
            pred = net(images[months], svec[months]).cpu()
            summed = sub[:, months] @ pred
            return (summed - target[rows]) / counts[rows], pred

        with reproducible(cfg["seed"], cfg["threads"], device):
            net = SacnnNet(self.state["side"], self.state["n_scalars"], cfg["zero_image_head"]).to(device)
            net = net.to(memory_format=torch.channels_last)  # same maths; oneDNN is faster in NHWC
            probe_info = {}
            if cfg["head_init"] != "zero":
                probe_info = self._init_head(net, images, svec, membership, target.double().numpy(),
                                             train_idx, val_idx, cfg["head_init"] == "probe")
            opt = torch.optim.Adam(self._param_groups(net))
            gen = np.random.default_rng(cfg["seed"] + 1)
            best, best_epoch, best_state, since = math.inf, 0, copy.deepcopy(net.state_dict()), 0
            history = []
            if len(val_idx):
                net.eval()
                with torch.no_grad():
                    best = float((label_z(net, val_idx)[0] ** 2).mean())
                history.append((None, round(best, 5)))
            epoch = 0
            for epoch in range(1, cfg["max_epochs"] + 1):
                net.train()
                order = gen.permutation(train_idx)
                train_loss = 0.0
                for b in range(0, len(order), cfg["batch_size"]):
                    rows = order[b : b + cfg["batch_size"]]
                    opt.zero_grad()
                    res, _ = label_z(net, rows)
                    loss = (res**2).mean()
                    loss.backward()
                    opt.step()
                    train_loss += float(loss.detach()) * len(rows)
                train_loss /= len(order)
                if len(val_idx):
                    net.eval()
                    with torch.no_grad():
                        val_loss = float((label_z(net, val_idx)[0] ** 2).mean())
                else:
                    val_loss = train_loss
                history.append((round(train_loss, 5), round(val_loss, 5)))
                if val_loss < best:
                    best, best_epoch, since = val_loss, epoch, 0
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
        pred_labels = membership @ monthly
        resid = (pred_labels - labels.values) / np.sqrt(labels.months_per_label)
        if len(val_idx) >= 3:
            half = residual_half_width(resid[val_idx])
            interval_from = "validation"
        else:
            half = 2.0 * residual_half_width(resid[train_idx])
            interval_from = "training x 2"
        self.state["half_width"] = half
        seconds = time.perf_counter() - start
        info = {
            "model": self.name,
            "seconds": round(seconds, 2),
            "epochs": epoch,
            "best_epoch": best_epoch,
            "n_labels": len(labels),
            "n_train_labels": len(train_idx),
            "n_val_labels": len(val_idx),
            "val_rmse": float(np.sqrt(np.mean(resid[val_idx] ** 2))) if len(val_idx) else None,
            "train_rmse": float(np.sqrt(np.mean(resid[train_idx] ** 2))),
            "interval_half_width": round(half, 3),
            "interval_from": interval_from,
            "device": device.type,
            "threads": cfg["threads"],
            "image_side": self.state["side"],
            "history": history,
            **{k: v for k, v in cfg.items() if k not in ("device", "threads")},
            **prep_info,
            **probe_info,
        }
        self.state["training"] = {k: v for k, v in info.items() if k != "history"}
        return info

    def _init_head(self, net, images, svec, membership, target, train_idx, val_idx, with_image) -> dict:
        """Warm start of the output layer: weighted least squares of the training labels on the month's
        inputs to the output layer at initialization (the scalars only, or also the initial conv
        features, ridge-penalized with the penalty that does best on the validation labels)."""
        with torch.no_grad():
            phi = torch.cat([net.features(images[i : i + 16]) for i in range(0, images.shape[0], 16)]).double()
        phi = phi.cpu().numpy()
        s = svec.double().cpu().numpy()
        n = membership.sum(axis=1)
        w = 1.0 / np.sqrt(n)  # rows scaled so that each label counts as its months' mean error
        a_all = np.column_stack([membership @ s, n]) * w[:, None]
        b_all = (membership @ phi) * w[:, None]
        y_all = target * w
        tr = train_idx
        a, b, y = a_all[tr], b_all[tr], y_all[tr]
        eps = 1e-3 * np.eye(a.shape[1])
        eps[-1, -1] = 0.0
        a_inv = np.linalg.pinv(a.T @ a + eps)
        proj = np.eye(len(tr)) - a @ a_inv @ a.T

        def solve(alpha):
            if alpha is None:
                beta_b = np.zeros(b.shape[1])
            else:
                pb = proj @ b
                k = pb @ pb.T
                gamma = np.linalg.solve(k + alpha * np.eye(len(tr)), proj @ y)
                beta_b = pb.T @ gamma
            beta_a = a_inv @ a.T @ (y - b @ beta_b)
            return beta_a, beta_b

        candidates = [None]
        if with_image:
            scale = np.trace((proj @ b) @ (proj @ b).T) / len(tr)
            candidates += [scale * 10.0**k for k in np.arange(-4.0, 2.01, 0.5)]
        best = None
        for alpha in candidates:
            beta_a, beta_b = solve(alpha)
            if len(val_idx):
                res = (a_all[val_idx] @ beta_a + b_all[val_idx] @ beta_b - y_all[val_idx]) / np.sqrt(n[val_idx])
                score = float(np.mean(res**2))
            else:
                score = 0.0
            if best is None or score < best[0]:
                best = (score, alpha, beta_a, beta_b)
        score, alpha, beta_a, beta_b = best
        head = net.head
        with torch.no_grad():
            head.weight_image.copy_(torch.from_numpy(beta_b[None, :]).float())
            head.weight_scalars.copy_(torch.from_numpy(beta_a[None, :-1]).float())
            head.bias.fill_(float(beta_a[-1]))
        return {"probe_alpha": alpha, "probe_val_loss": score}

    def _param_groups(self, net: SacnnNet) -> list[dict]:
        """Adam learning rates: `lr` for the convolutions; for each part of the output layer, scaled by
        1 / its fan-in (as muP prescribes for Adam), relative to a fan-in of `head_fan`."""
        lr, base = self.config["lr"], self.config["head_fan"]
        head = net.head
        return [
            {"params": list(net.features.parameters()), "lr": lr},
            {"params": [head.weight_image], "lr": lr * base / head.weight_image.shape[1]},
            {"params": [head.weight_scalars, head.bias], "lr": lr * base / head.weight_scalars.shape[1]},
        ]

    def _raw_predict(self, images: torch.Tensor, svec: torch.Tensor, batch: int = 16) -> np.ndarray:
        out = []
        for i in range(0, images.shape[0], batch):
            out.append(self.net(images[i : i + batch], svec[i : i + batch]).cpu().double().numpy())
        z = np.concatenate(out) if out else np.zeros(0)
        return self.state["target_mean"] + self.state["target_std"] * z

    # ---- estimation ------------------------------------------------------------------------------------
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
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "model.json", {"name": self.name, "config": self.config, "state": self.state,
                                           "input_mode": self.transform["mode"]})
        # the input transform's per-cell statistics, needed to prepare new months exactly as in training
        np.savez(folder / "transform.npz", **{k: np.asarray(v) for k, v in self.transform.items() if k != "mode"})
        weights = {k: v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()}
        torch.save(weights, folder / "weights.pt")

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
        st = model.state
        net = SacnnNet(st["side"], st["n_scalars"])
        net.load_state_dict(torch.load(folder / "weights.pt", map_location="cpu", weights_only=True))
        net = net.to(memory_format=torch.channels_last)
        net.eval()
        model.net = net.to(resolve_device(model.config["device"]))
        return model
