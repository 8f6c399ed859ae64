"""Images of the N1 / N1.5 processor, as the original GR00T pipeline makes them: each camera
frame is centre-cropped to 95% (`crop_scale`), resized bilinearly with antialiasing to the
vision tower's size (224), turned back into uint8 (truncating, as the original's
`(x * 255).to(uint8)`), then scaled to [0, 1] and normalised with the processor's mean and std
(`preprocessor_config.json`; SigLIP's 0.5, 0.5 when not configured)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..common.jsonfile import read_json


def crop_resize(frames: np.ndarray, size: int, crop_scale: float) -> torch.Tensor:
    """uint8 [N, H, W, 3] -> uint8 [N, 3, size, size]: the centre crop and resize of the
    original, back to uint8 as the original's images are."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
    h, w = x.shape[-2:]
    ch, cw = int(h * crop_scale), int(w * crop_scale)
    top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
    x = x[..., top : top + ch, left : left + cw]
    if (ch, cw) != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return (x * 255).to(torch.uint8)  # the original goes back to uint8 images here


def preprocess_images(
    frames: np.ndarray, size: int, crop_scale: float, mean: Sequence[float], std: Sequence[float],
    prepped: bool = False,
) -> torch.Tensor:
    """uint8 [N, H, W, 3] -> float32 [N, 3, size, size]. `prepped`: the frames are
    `crop_resize`'s output already, as uint8 [N, size, size, 3] (training keeps them so)."""
    if prepped:
        x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
    else:
        x = crop_resize(frames, size, crop_scale).float() / 255.0
    m = torch.tensor(mean, dtype=torch.float32)[:, None, None]
    s = torch.tensor(std, dtype=torch.float32)[:, None, None]
    return (x - m) / s


def image_normalisation(processor_dir: Path) -> tuple[list[float], list[float]]:
    """Mean and std of the image processor (SigLIP's 0.5, 0.5 when not configured)."""
    p = processor_dir / "preprocessor_config.json"
    if p.is_file():
        d = read_json(p)
        if isinstance(d, dict) and "image_mean" in d and "image_std" in d:
            return [float(v) for v in d["image_mean"]], [float(v) for v in d["image_std"]]
    return [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]
