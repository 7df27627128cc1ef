"""Random distortions of training digits: affine (rotate, scale, shear, shift) and elastic.

Elastic distortions follow Simard, Steinkraus & Platt (2003): a random displacement field smoothed by
a Gaussian of width `elastic_sigma`, here scaled so that its largest displacement is `elastic_px`. Everything runs batched on the model's
device, so augmentation costs little next to the training step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    rotate_deg: float = 12.0
    scale: float = 0.12
    shear: float = 0.25
    shift_px: float = 2.5
    elastic_px: float = 2.0
    elastic_sigma: float = 4.0


def _gaussian_kernel(sigma: float, device: torch.device) -> torch.Tensor:
    radius = max(1, int(3 * sigma))
    t = torch.arange(-radius, radius + 1, device=device, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def _random_affine(b: int, cfg: AugmentConfig, g: torch.Generator, device) -> torch.Tensor:
    """(B, 2, 3) matrices mapping output to input coordinates in affine_grid's [-1, 1] units."""
    u = lambda: (torch.rand(b, generator=g, device=device) * 2 - 1)  # noqa: E731  uniform in [-1, 1]
    angle = u() * math.radians(cfg.rotate_deg)
    scale = 1 + u() * cfg.scale
    shear = u() * cfg.shear
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    shift = 2 * cfg.shift_px / 28
    row0 = torch.stack([cos, -sin + shear * cos, u() * shift], dim=1)
    row1 = torch.stack([sin, cos + shear * sin, u() * shift], dim=1)
    return torch.stack([row0, row1], dim=1)


def _elastic_field(b: int, cfg: AugmentConfig, g: torch.Generator, device) -> torch.Tensor:
    """(B, 28, 28, 2) smooth random displacements in [-1, 1] grid units."""
    field = torch.rand(b * 2, 1, 28, 28, generator=g, device=device) * 2 - 1
    k = _gaussian_kernel(cfg.elastic_sigma, device)
    pad = len(k) // 2
    field = F.conv2d(F.pad(field, (pad, pad, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    field = F.conv2d(F.pad(field, (0, 0, pad, pad), mode="reflect"), k.view(1, 1, -1, 1))
    # Scale each field to a peak of `elastic_px` pixels (one pixel is 2/28 grid units).
    field = field / field.abs().amax(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    field = field * cfg.elastic_px * (2 / 28)
    return field.view(b, 2, 28, 28).permute(0, 2, 3, 1)


def distort(x: torch.Tensor, cfg: AugmentConfig, g: torch.Generator) -> torch.Tensor:
    """Distort a batch of flat digits (B, 784) in [0, 1]; returns (B, 784)."""
    b = x.shape[0]
    images = x.view(b, 1, 28, 28)
    grid = F.affine_grid(_random_affine(b, cfg, g, x.device), [b, 1, 28, 28], align_corners=False)
    if cfg.elastic_px > 0:
        grid = grid + _elastic_field(b, cfg, g, x.device)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False).view(b, -1)
