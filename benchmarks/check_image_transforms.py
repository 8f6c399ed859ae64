#!/usr/bin/env python3
"""The N1.6 / N1.7 image transforms (arena_eval/policies/groot/n1x/images.py, written without
OpenCV) against OpenCV's INTER_AREA resize and albumentations' SmallestMaxSize, which NVIDIA's
processors use. Not a test: the project's environment has neither package, so run it where
they are installed, e.g.

    python3.12 -m venv /tmp/cv && /tmp/cv/bin/pip install numpy pillow opencv-python-headless albumentations
    PYTHONPATH=. /tmp/cv/bin/python benchmarks/check_image_transforms.py

Prints, per source size and target, the largest absolute difference (grey levels) and the
share of pixel values that differ, over random and smooth images.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from arena_eval.policies.groot.n1x.images import area_resize, fractional_center_crop, smallest_max_size  # noqa: E402


def images(h: int, w: int, seed: int) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    y, x = np.mgrid[0:h, 0:w]
    smooth = np.stack([(x * 255 // max(1, w - 1)), (y * 255 // max(1, h - 1)), ((x + y) * 127 // max(1, h + w))], -1)
    return [("noise", noise), ("smooth", smooth.astype(np.uint8))]


def main() -> int:
    import albumentations as A
    import cv2

    print(f"opencv {cv2.__version__}, albumentations {A.__version__}")
    print("| source | target | image | max abs diff | values differing |")
    print("|---|---|---|---|---|")
    worst = 0
    cases = [((224, 224), (256, 256)), ((480, 640), (256, 341)), ((256, 256), (243, 243)), ((243, 243), (256, 256)),
             ((720, 1280), (256, 455)), ((64, 48), (256, 192)), ((300, 200), (97, 65))]
    for (h, w), (th, tw) in cases:
        for name, img in images(h, w, seed=h * w):
            ours = area_resize(img, th, tw)
            ref = cv2.resize(img, (tw, th), interpolation=cv2.INTER_AREA)
            d = np.abs(ours.astype(int) - ref.astype(int))
            worst = max(worst, int(d.max()))
            print(f"| {h}x{w} | {th}x{tw} | {name} | {int(d.max())} | {float((d > 0).mean()):.4%} |")
    # The whole evaluation transform: SmallestMaxSize(256) -> centre crop 0.95 -> SmallestMaxSize(256).
    sms = A.SmallestMaxSize(max_size=256, interpolation=cv2.INTER_AREA)
    for h, w in ((224, 224), (480, 640), (720, 1280)):
        for name, img in images(h, w, seed=7):
            ours = smallest_max_size(fractional_center_crop(smallest_max_size(img, 256), 0.95), 256)
            a = sms(image=img)["image"]
            ch, cw = int(a.shape[0] * 0.95), int(a.shape[1] * 0.95)
            top, left = (a.shape[0] - ch) // 2, (a.shape[1] - cw) // 2
            ref = sms(image=a[top : top + ch, left : left + cw])["image"]
            if ref.shape != ours.shape:
                print(f"| {h}x{w} | eval transform | {name} | shape {ours.shape} vs albumentations {ref.shape} | |")
                worst = 255
                continue
            d = np.abs(ours.astype(int) - ref.astype(int))
            worst = max(worst, int(d.max()))
            print(f"| {h}x{w} | eval transform {ref.shape[0]}x{ref.shape[1]} | {name} | {int(d.max())} | "
                  f"{float((d > 0).mean()):.4%} |")
    print(f"largest difference: {worst} grey level(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
