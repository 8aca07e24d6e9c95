"""SacnnModel: SA-CNN behind the models' common interface (fit, predict, save, load).

Uncertainty: a nominal 90 % interval, estimate +- t(0.95, n-1) * s * sqrt(1 + 1/n), where s is the root
mean square of the early-stopping validation residuals per month (a combined label's residual divided by
sqrt(months)) and n the number of validation labels (`base.residual_half_width`). These labels were not
trained on, but they chose the stopping epoch, so s is slightly optimistic; the t quantile and the
sqrt(1 + 1/n) factor widen it for the small validation set. Below 3 validation labels, twice the training
residuals' width is used. The width is the same for every month.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from sacnn_dagster.geo.write_errors import diagnose_write_error
from sacnn_dagster.models.base import (
    MonthlyModel,
    Prediction,
    check_labels,
    read_json,
    residual_half_width,
    without_timings,
    write_json,
)
from sacnn_dagster.models.dataset import Labels, MonthlyDataset
from sacnn_dagster.models.inputs import model_inputs
from sacnn_dagster.models.sacnn.memory import DEFAULT_MEMORY_LIMIT, PREDICT_BATCH, refuse_if_too_large
from sacnn_dagster.models.sacnn.network import SacnnNet, image_side
from sacnn_dagster.models.sacnn.preprocessing import (
    INPUT_MODES,
    fit_input_transform,
    fit_scalar_scaling,
    model_tensors,
)
from sacnn_dagster.models.sacnn.training import (
    LabelTensors,
    TrainingRun,
    param_groups,
    reproducible,
    resolve_device,
    split_validation,
    target_scaling,
    train,
    warm_start,
)


def interval_half_width(resid: np.ndarray, train_idx: np.ndarray, val_idx: np.ndarray) -> tuple[float, str]:
    """Half width of the interval from the per-month residuals, and where it comes from."""
    if len(val_idx) >= 3:
        return residual_half_width(resid[val_idx]), "validation residuals"
    return 2.0 * residual_half_width(resid[train_idx]), "training residuals x 2"


class SacnnModel(MonthlyModel):
    """SA-CNN; see the package docstring for the architecture, the training and the interval.

    Hyperparameters (chosen by an inner validation on the earliest 80 % of the demo's labels): Adam,
    lr 1e-3 for the convolutions, output layer muP-scaled with `head_fan` 1024, batch 20, at most 40
    epochs, patience 10, 20 % of the labels for validation, relative inputs, statistics warm start.
    """

    name = "sacnn"
    #: Called as on_epoch(epoch, monthly estimates of every month) at the start and after each training
    #: epoch (benchmarks/sacnn_training_curve.py); None in the pipeline.
    on_epoch: Callable[[int, np.ndarray], None] | None = None
    #: The memory SA-CNN may plan to use; a region whose month images need more is refused before any work
    #: (`memory.refuse_if_too_large`). Not part of the configuration: it does not change what is learned.
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT

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

    def _inputs(self, data: MonthlyDataset) -> tuple[np.ndarray, np.ndarray, dict]:
        return model_inputs(data, self.config["gapfill"], self.state.get("n_factories"))

    def _new_net(self) -> SacnnNet:
        return SacnnNet(self.state["side"], self.state["n_scalars"], self.config["zero_image_head"])

    def fit(self, data: MonthlyDataset, labels: Labels) -> dict:
        check_labels(data, labels)
        cfg = self.config
        m, r, f = data.tables.shape
        refuse_if_too_large(m, r, f, cfg["batch_size"], True, self.memory_limit_bytes)
        start = time.perf_counter()
        device = resolve_device(cfg["device"])
        self.state = {}
        tables, scalars, prep_info = self._inputs(data)
        m, r, f = tables.shape
        membership = np.asarray(labels.membership, dtype=np.float64)
        used = membership.sum(axis=0) > 0  # the months the training labels cover
        self.transform = fit_input_transform(tables[used], cfg["inputs"])
        self.state = {
            "n_factories": r,
            "n_features": f,
            "side": image_side(r, f),
            "n_scalars": scalars.shape[1],
            **fit_scalar_scaling(scalars[used], cfg["whiten"]),
            **target_scaling(labels),
        }
        train_idx, val_idx = split_validation(len(labels), cfg["val_share"], cfg["seed"])
        images, svec = model_tensors(tables, scalars, self.transform, self.state, device)
        tensors = LabelTensors.build(images, svec, labels, self.state)
        with reproducible(cfg["seed"], cfg["threads"], device):
            net = self._new_net().to(device).to(memory_format=torch.channels_last)
            if cfg["head_init"] == "scalars":
                warm_start(net, svec, membership, tensors.target.double().numpy(), train_idx)
            opt = torch.optim.Adam(param_groups(net, cfg["lr"], cfg["head_fan"]))
            run = train(net, opt, tensors, train_idx, val_idx, cfg, self._epoch_hook(net, images, svec))
            net.eval()
            self.net = net
            with torch.no_grad():
                monthly = self._raw_predict(images, svec)
        resid = (membership @ monthly - labels.values) / np.sqrt(labels.months_per_label)
        half, interval_from = interval_half_width(resid, train_idx, val_idx)
        self.state["half_width"] = half
        info = {
            "model": self.name,
            "seconds": round(time.perf_counter() - start, 2),
            **self._summary(run, resid, (train_idx, val_idx), interval_from, device),
            **cfg,
            **prep_info,
        }
        # model.json keeps no wall-clock time: the same training writes the same bytes
        self.state["training"] = {
            k: v for k, v in without_timings(info).items() if k not in ("loss_history", "start_loss")
        }
        return info

    def _epoch_hook(self, net: SacnnNet, images: torch.Tensor, svec: torch.Tensor) -> Callable[[int], None] | None:
        if self.on_epoch is None:
            return None

        def hook(epoch: int) -> None:
            self.net = net
            net.eval()
            with torch.no_grad():
                self.on_epoch(epoch, self._raw_predict(images, svec))

        return hook

    def _summary(self, run: TrainingRun, resid: np.ndarray, split, interval_from: str, device: torch.device) -> dict:
        """What `fit` reports about the training (beside the configuration and the gap-filling counts)."""
        train_idx, val_idx = split
        return {
            "epochs": run.epochs,
            "best_epoch": run.best_epoch,
            "n_labels": len(resid),
            "n_train_labels": int(len(train_idx)),
            "n_val_labels": int(len(val_idx)),
            "val_rmse": float(np.sqrt(np.mean(resid[val_idx] ** 2))) if len(val_idx) else None,
            "train_rmse": float(np.sqrt(np.mean(resid[train_idx] ** 2))),
            "interval_half_width": round(self.state["half_width"], 3),
            "interval_from": interval_from,
            "device_used": device.type,
            "image_side": self.state["side"],
            "loss_history": run.history,
            "start_loss": run.start_loss if math.isfinite(run.start_loss) else None,
        }

    def _raw_predict(self, images: torch.Tensor, svec: torch.Tensor, batch: int = PREDICT_BATCH) -> np.ndarray:
        out = [
            self.net(images[i : i + batch], svec[i : i + batch]).cpu().double().numpy()
            for i in range(0, images.shape[0], batch)
        ]
        z = np.concatenate(out) if out else np.zeros(0)
        return self.state["target_mean"] + self.state["target_std"] * z

    def predict(self, data: MonthlyDataset) -> Prediction:
        if self.net is None:
            raise RuntimeError("the model is not trained")
        refuse_if_too_large(
            len(data.months),
            self.state["n_factories"],
            self.state["n_features"],
            PREDICT_BATCH,
            False,
            self.memory_limit_bytes,
        )
        device = next(self.net.parameters()).device
        tables, scalars, _ = self._inputs(data)
        images, svec = model_tensors(tables, scalars, self.transform, self.state, device)
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
        weights = {k: v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()}
        try:
            torch.save(weights, folder / "weights.pt")
        except RuntimeError as exc:  # torch says "PytorchStreamWriter failed writing file": ask the file system
            fault = diagnose_write_error(folder / "weights.pt", exc)
            if fault is None:
                raise
            raise fault from exc

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
        net = model._new_net()
        net.load_state_dict(torch.load(folder / "weights.pt", map_location="cpu", weights_only=True))
        model.net = net.to(resolve_device(model.config["device"])).to(memory_format=torch.channels_last).eval()
        return model
