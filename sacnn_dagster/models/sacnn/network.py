"""The SA-CNN network, as in the paper (Gong et al. 2025): one month = one single-channel image.

- Conv 1->16 (3x3, padding 1) -> ReLU -> MaxPool(5, stride 2); Conv 16->32 -> ReLU -> MaxPool(5, 2);
  Conv 32->64 -> ReLU -> MaxPool(5, 2); flatten; the month's urban/rural NTL statistics concatenated;
  one Linear layer -> 1 value. No dropout, no batch norm.
- The output layer is one Linear over [flattened conv features, statistics], held as two weight tensors
  (`ConcatLinear`) so that each part can get its own Adam learning rate (see `training.param_groups`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

#: Smallest image side the three MaxPool(5, 2) stages accept.
MIN_SIDE = 29


def image_side(n_factories: int, n_features: int) -> int:
    """Side of the square image that holds a month's (factories x features) table: ceil(sqrt(R * F)),
    at least MIN_SIDE."""
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
