"""From a month's per-factory table and statistics to SA-CNN's inputs: pure functions of arrays.

As in the paper, the month's table (factories x features, the registry's fixed factory order) is
flattened factory by factory and zero-padded into a square image of side ceil(sqrt(R * F)) (at least 29,
the smallest side the three pooling stages accept); zeros become 1e-4 (`to_images`).

Our additions (the paper ran on raw X for 10 000 epochs; we must stop within about a minute of CPU):
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
- The tensors are kept channels-last (NHWC), the same maths with faster oneDNN kernels.
"""

from __future__ import annotations

import numpy as np
import torch

#: Value given to the image's zeros (the paper's 0.0001).
ZERO_VALUE = 1e-4
#: Input preparations; cells whose training mean is below DARK_SHARE of the feature's mean over all cells
#: are "dark" and left at 0 by the relative preparation.
INPUT_MODES = ("scaled", "anomaly", "relative")
DARK_SHARE = 0.01
RELATIVE_CLIP = (-1.0, 3.0)


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


def fit_scalar_scaling(scalars: np.ndarray, whiten: bool) -> dict[str, list]:
    """Standardization and whitening of the training months' (M, S) statistics, as JSON-able lists for
    the model's state (read back by `model_tensors`)."""
    mean = scalars.mean(axis=0)
    std = scalars.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    white = whitening_matrix((scalars - mean) / std) if whiten else np.eye(len(mean))
    return {"scalar_mean": mean.tolist(), "scalar_std": std.tolist(), "scalar_whitening": white.tolist()}


def model_tensors(
    tables: np.ndarray, scalars: np.ndarray, transform: dict, state: dict, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """The network's two inputs for every month: (M, 1, side, side) channels-last images and the (M, S)
    whitened statistics, on `device`."""
    images = torch.from_numpy(to_images(prepare_table(tables, transform), state["side"]))
    z = (scalars - np.asarray(state["scalar_mean"])) / np.asarray(state["scalar_std"])
    z = z @ np.asarray(state["scalar_whitening"])
    images = images.to(device).contiguous(memory_format=torch.channels_last)
    return images, torch.from_numpy(z.astype(np.float32)).to(device)
