"""An N1 / N1.5 checkpoint's `experiment_cfg/metadata.json`: per embodiment tag, the statistics that normalise state and
action keys and the shapes of the video, state and action modalities."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from ....errors import UserError
from ..common.jsonfile import read_json

STAT_NAMES = ("min", "max", "mean", "std", "q01", "q99")


@dataclasses.dataclass(frozen=True)
class KeyMeta:
    dim: int
    stats: dict[str, np.ndarray]  # name -> [dim] float64
    info: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class VideoMeta:
    width: int
    height: int
    channels: int
    info: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class EmbodimentMeta:
    tag: str
    video: dict[str, VideoMeta]
    state: dict[str, KeyMeta]
    action: dict[str, KeyMeta]
    source: str


def _keys(entry: dict[str, Any], modality: str, where: str, tag: str) -> dict[str, KeyMeta]:
    shapes = entry.get("modalities", {}).get(modality, {})
    stats = entry.get("statistics", {}).get(modality, {})
    if not isinstance(shapes, dict) or not isinstance(stats, dict):
        raise UserError(f"malformed {modality} entry", where=where, field=f"{tag}.modalities.{modality}")
    out: dict[str, KeyMeta] = {}
    for key, info in shapes.items():
        field = f"{tag}.modalities.{modality}.{key}"
        shape = info.get("shape") if isinstance(info, dict) else None
        if not (isinstance(shape, list) and len(shape) == 1 and isinstance(shape[0], int) and shape[0] >= 1):
            raise UserError(f"expected shape [D], got {shape!r}", where=where, field=field)
        d = shape[0]
        st = stats.get(key)
        if not isinstance(st, dict):
            raise UserError("no statistics for this key", where=where, field=f"{tag}.statistics.{modality}.{key}")
        arrays = {}
        for name in STAT_NAMES:
            if name in st:
                a = np.asarray(st[name], dtype=np.float64)
                if a.shape != (d,) or not np.isfinite(a).all():
                    raise UserError(
                        f"expected {d} finite numbers, got shape {a.shape}",
                        where=where,
                        field=f"{tag}.statistics.{modality}.{key}.{name}",
                    )
                arrays[name] = a
        out[key] = KeyMeta(d, arrays, dict(info))
    return out


def parse_metadata(data: Any, where: str) -> dict[str, EmbodimentMeta]:
    if not isinstance(data, dict) or not data:
        raise UserError("expected a JSON object keyed by embodiment tag", where=where)
    out = {}
    for tag, entry in data.items():
        if not isinstance(entry, dict):
            raise UserError("expected an object", where=where, field=tag)
        video = {}
        for key, info in entry.get("modalities", {}).get("video", {}).items():
            res = info.get("resolution") if isinstance(info, dict) else None
            if not (isinstance(res, list) and len(res) == 2 and all(isinstance(v, int) and v > 0 for v in res)):
                raise UserError(
                    f"expected resolution [width, height], got {res!r}",
                    where=where,
                    field=f"{tag}.modalities.video.{key}",
                )
            video[key] = VideoMeta(res[0], res[1], int(info.get("channels", 3)), dict(info))
        out[tag] = EmbodimentMeta(
            tag, video, _keys(entry, "state", where, tag), _keys(entry, "action", where, tag), where
        )
    return out


def load_metadata(path: Path) -> dict[str, EmbodimentMeta]:
    return parse_metadata(read_json(path), str(path))
