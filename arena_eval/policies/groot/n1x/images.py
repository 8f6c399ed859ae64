"""Image transforms of the N1.6 / N1.7 processors, without OpenCV or albumentations.

Both processors' evaluation path (use_albumentations_transforms, the released setting) is
SmallestMaxSize(shortest_image_edge, INTER_AREA) -> FractionalCenterCrop(crop_fraction) ->
SmallestMaxSize(shortest_image_edge, INTER_AREA) on each uint8 frame; then the backbone's own
image processor:

- N1.6 (Eagle 3): `smart_resize` and `fetch_image` of the Eagle folder's
  `processing_eagle3_vl.py`: an aspect ratio over 200 is refused; each side rounded to a
  multiple of 28 and capped at 7000; a pixel count over 4096 * 28^2 scales both sides down by
  sqrt(h'w' / max) (floored to 28), under 4 * 28^2 up by sqrt(min / hw) (ceiled); then a PIL
  resize with Pillow's default filter for RGB (bicubic), x / 255, mean 0.5 std 0.5; one image is
  H*W/784 tokens after the 2x2 pixel unshuffle (256x256 -> 252x252 -> 81 tokens).
- N1.7 (Qwen3-VL): transformers' Qwen2-VL image processor (PIL backend) configured from the
  processor directory's `preprocessor_config.json`: patch 16, merge 2, the frame duplicated
  in time; 256x256 -> grid (1, 16, 16) -> 64 tokens.

`area_resize` reproduces OpenCV's INTER_AREA as separable weights: exact pixel-area averages
when shrinking, OpenCV's area-flavoured linear weights when enlarging; values are rounded back
to uint8 like cv2's saturate_cast. Not compared with OpenCV itself (not installed here); its
fixed-point arithmetic may differ by a level.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image

from ....errors import UserError


@functools.lru_cache(maxsize=64)
def _area_weights(src: int, dst: int) -> np.ndarray:
    """[dst, src] weights of OpenCV's INTER_AREA along one axis."""
    w = np.zeros((dst, src), np.float64)
    scale = src / dst
    if scale >= 1:  # shrink: average over each output pixel's footprint
        for i in range(dst):
            a, b = i * scale, (i + 1) * scale
            for j in range(int(math.floor(a)), min(src, int(math.ceil(b)))):
                w[i, j] = (min(b, j + 1) - max(a, j)) / scale
        return w
    inv = dst / src
    for i in range(dst):  # enlarge: OpenCV's linear weights with the area correction
        sx = math.floor(i * scale)
        fx = (i + 1) - (sx + 1) * inv
        fx = 0.0 if fx <= 0 else fx - math.floor(fx)
        if sx >= src - 1:
            sx, fx = src - 1, 0.0
        w[i, sx] += 1 - fx
        if fx:
            w[i, sx + 1] += fx
    return w


def area_resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """uint8 [H, W, C] -> uint8 [height, width, C], OpenCV INTER_AREA."""
    h, w = img.shape[:2]
    if (h, w) == (height, width):
        return img
    wh, ww = _area_weights(h, height), _area_weights(w, width)
    x = np.tensordot(wh, img.astype(np.float64), axes=(1, 0))  # [height, W, C]
    out = np.tensordot(x, ww, axes=(1, 1)).transpose(0, 2, 1)  # [height, C, width] -> [height, width, C]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def smallest_max_size(img: np.ndarray, size: int) -> np.ndarray:
    h, w = img.shape[:2]
    s = size / min(h, w)
    return area_resize(img, int(round(h * s)), int(round(w * s)))


def fractional_center_crop(img: np.ndarray, fraction: float) -> np.ndarray:
    h, w = img.shape[:2]
    ch, cw = int(h * fraction), int(w * fraction)
    top, left = (h - ch) // 2, (w - cw) // 2
    return img[top : top + ch, left : left + cw]


def eval_transform(img: np.ndarray, shortest_edge: int, crop_fraction: float) -> np.ndarray:
    """The processors' evaluation transform of one uint8 frame [H, W, 3]."""
    img = smallest_max_size(img, shortest_edge)
    img = fractional_center_crop(img, crop_fraction)
    return smallest_max_size(img, shortest_edge)


MAX_RATIO = 200  # Eagle's processing_eagle3_vl.py constants
IMAGE_MAX_SIZE = 500 * 14


def smart_resize_28(h: int, w: int, min_pixels: int = 4 * 28 * 28, max_pixels: int = 4096 * 28 * 28) -> tuple[int, int]:
    """Eagle's smart_resize with factor 28 (processing_eagle3_vl.py)."""
    f = 28
    if max(h, w) / min(h, w) > MAX_RATIO:
        raise UserError(f"a {w}x{h} camera frame has an aspect ratio over {MAX_RATIO}, which Eagle's processor refuses")
    hb = min(max(f, round(h / f) * f), IMAGE_MAX_SIZE)
    wb = min(max(f, round(w / f) * f), IMAGE_MAX_SIZE)
    if hb * wb > max_pixels:
        beta = math.sqrt(hb * wb / max_pixels)
        hb, wb = math.floor(hb / beta / f) * f, math.floor(wb / beta / f) * f
    elif hb * wb < min_pixels:
        beta = math.sqrt(min_pixels / (h * w))
        hb, wb = math.ceil(h * beta / f) * f, math.ceil(w * beta / f) * f
    return hb, wb


def eagle3_pixels(img: np.ndarray) -> np.ndarray:
    """uint8 [H, W, 3] -> float32 [3, H', W'] for the N1.6 vision tower."""
    hb, wb = smart_resize_28(*img.shape[:2])
    if (hb, wb) != img.shape[:2]:
        img = np.asarray(Image.fromarray(img).resize((wb, hb), Image.Resampling.BICUBIC))
    x = img.astype(np.float32) / 255.0
    return ((x - 0.5) / 0.5).transpose(2, 0, 1)
