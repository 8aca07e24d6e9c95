"""SA-CNN's training, in small steps: the target's scale, the validation split, the output layer's warm
start and learning rates, epochs of Adam on the label loss, early stopping; and reproducible torch.

As in the paper: MSE on a z-scored target, Adam, batch 20. Our choices (the paper ran 10 000 epochs at
lr 1e-4: hours on a CPU; we stop after some 20-40 epochs of ~100 months of 243 x 243 images):
- Combined labels (January-February): the loss compares the sum of the months' predictions with the
  label, in z units per month: (membership @ prediction - label) / (target std x months in the label), so
  the model is free to split the sum unevenly (the New Year month is lower).
- Each part of the output layer gets an Adam learning rate scaled by 1 / its fan-in, as muP prescribes
  (`lr * head_fan / fan_in`): with ~47 000 inputs, the paper's single rate moves the output by tens of
  standard deviations in one step. Its image part starts at zero and its statistics part at the
  least-squares fit of the training labels on the statistics (`head_init="scalars"`): training starts
  from the linear model of the urban/rural statistics and the convolutions learn what it misses.
- Early stopping on a seeded validation split of the training labels (`val_share`); the best weights
  (the start included) are restored.
- Reproducible: same seed, same data, same thread count -> identical weights (torch.manual_seed,
  deterministic algorithms, `threads` CPU threads; the global torch settings are restored afterwards).
  On CUDA, deterministic mode is requested with warn_only: bit-identity there is not promised.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from sacnn_dagster.models.dataset import Labels
from sacnn_dagster.models.sacnn.network import SacnnNet


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


def split_validation(n_labels: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) label indices, seeded; no validation below 8 labels."""
    if n_labels < 8 or share <= 0:
        return np.arange(n_labels), np.array([], dtype=np.int64)
    n_val = max(3, int(round(share * n_labels)))
    order = np.random.default_rng(seed).permutation(n_labels)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def target_scaling(labels: Labels) -> dict[str, float]:
    """Mean and standard deviation of the labels per month, for the z-scored target."""
    per_month = labels.values / labels.months_per_label
    mu = float(per_month.mean())
    sigma = float(per_month.std()) if len(labels) > 1 else 0.0
    if not sigma > 0:
        sigma = max(abs(mu) * 0.1, 1.0)
    return {"target_mean": mu, "target_std": sigma}


@dataclass
class LabelTensors:
    """Every month's network inputs and every label's z-scored target, months and month count."""

    images: torch.Tensor  # (M, 1, side, side), on the device
    scalars: torch.Tensor  # (M, S), on the device
    target: torch.Tensor  # (L,) z units: (label - months * target mean) / target std
    counts: torch.Tensor  # (L,) months per label
    member: torch.Tensor  # (L, M) membership

    @classmethod
    def build(cls, images: torch.Tensor, scalars: torch.Tensor, labels: Labels, state: dict) -> LabelTensors:
        z = (labels.values - labels.months_per_label * state["target_mean"]) / state["target_std"]
        return cls(
            images,
            scalars,
            torch.from_numpy(z.astype(np.float32)),
            torch.from_numpy(labels.months_per_label.astype(np.float32)),
            torch.from_numpy(np.asarray(labels.membership, dtype=np.float64).astype(np.float32)),
        )

    def residuals(self, net: SacnnNet, rows: np.ndarray) -> torch.Tensor:
        """z-unit residuals per month of the labels `rows`: only their months are computed."""
        sub = self.member[rows]
        months = torch.nonzero(sub.sum(0) > 0).squeeze(1)
        pred = net(self.images[months.to(self.images.device)], self.scalars[months.to(self.scalars.device)]).cpu()
        return (sub[:, months] @ pred - self.target[rows]) / self.counts[rows]


def warm_start(net: SacnnNet, svec, membership: np.ndarray, target: np.ndarray, train_idx: np.ndarray) -> None:
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


def param_groups(net: SacnnNet, lr: float, head_fan: float) -> list[dict]:
    """Adam learning rates: `lr` for the convolutions; for each part of the output layer, scaled by
    head_fan / its fan-in (muP for Adam)."""
    head = net.head
    return [
        {"params": list(net.features.parameters()), "lr": lr},
        {"params": [head.weight_image], "lr": lr * head_fan / head.weight_image.shape[1]},
        {"params": [head.weight_scalars, head.bias], "lr": lr * head_fan / max(head.weight_scalars.shape[1], 1)},
    ]


def validation_loss(net: SacnnNet, tensors: LabelTensors, rows: np.ndarray) -> float:
    net.eval()
    with torch.no_grad():
        return float((tensors.residuals(net, rows) ** 2).mean())


def train_epoch(net: SacnnNet, opt: torch.optim.Optimizer, tensors: LabelTensors, order, batch_size: int) -> float:
    """One pass over the training labels in `order`, in batches; the mean loss per label."""
    net.train()
    total = 0.0
    for b in range(0, len(order), batch_size):
        rows = order[b : b + batch_size]
        opt.zero_grad()
        loss = (tensors.residuals(net, rows) ** 2).mean()
        loss.backward()
        opt.step()
        total += float(loss.detach()) * len(rows)
    return total / len(order)


class BestWeights:
    """Early stopping: the best weights so far (those it starts with included), and the epochs since."""

    def __init__(self, net: SacnnNet, loss: float, patience: int | None):
        self.loss, self.epoch, self.since, self.patience = loss, 0, 0, patience
        self.state = copy.deepcopy(net.state_dict())

    def update(self, net: SacnnNet, epoch: int, loss: float) -> bool:
        """Keep the weights if `loss` is the best yet; True when `patience` epochs passed without."""
        if loss < self.loss:
            self.loss, self.epoch, self.since = loss, epoch, 0
            self.state = copy.deepcopy(net.state_dict())
            return False
        self.since += 1
        return self.patience is not None and self.since >= self.patience


@dataclass
class TrainingRun:
    epochs: int
    best_epoch: int
    history: list  # [training loss, validation loss] per epoch
    start_loss: float  # the validation loss before the first epoch (inf without validation labels)


def train(
    net: SacnnNet,
    opt: torch.optim.Optimizer,
    tensors: LabelTensors,
    train_idx,
    val_idx,
    config: dict,
    on_epoch: Callable[[int], None] | None = None,
) -> TrainingRun:
    """Epochs of `opt` on the training labels (shuffled with seed + 1) until `max_epochs`, or `patience`
    epochs without a better validation loss; `net` ends with the best weights. Without validation labels,
    every epoch runs and the best training loss wins. `on_epoch(epoch)` is called with the start (0) and
    after every epoch (benchmarks/sacnn_training_curve.py scores the weights of each)."""
    validate = len(val_idx) > 0
    start = validation_loss(net, tensors, val_idx) if validate else math.inf
    best = BestWeights(net, start, config["patience"] if validate else None)
    order_rng = np.random.default_rng(config["seed"] + 1)
    history, epoch = [], 0
    if on_epoch is not None:
        on_epoch(0)
    for epoch in range(1, config["max_epochs"] + 1):
        order = order_rng.permutation(train_idx)
        train_loss = train_epoch(net, opt, tensors, order, config["batch_size"])
        current = validation_loss(net, tensors, val_idx) if validate else train_loss
        history.append([round(train_loss, 5), round(current, 5)])
        if on_epoch is not None:
            on_epoch(epoch)
        if best.update(net, epoch, current):
            break
    net.load_state_dict(best.state)
    return TrainingRun(epoch, best.epoch, history, start)
