"""Reading and writing GR00T checkpoint weights (safetensors only; no pickle anywhere).

Every generation stores `model.safetensors`, or shards `model-0000K-of-0000N.safetensors`
with `model.safetensors.index.json`, beside its `config.json`. Loading is strict: every tensor
the model has must be in the files, with its shape and finite values, and every tensor in the
files must be used, except the optional ones: tensors that some revisions of the released code
define and that the action never needs (the language-model head, SigLIP's attention-pooling
head, the training-only state-dropout token), which are neither loaded nor computed, whether
present or absent. Each generation lists its own (`OPTIONAL` in n1/checkpoint.py for N1 and
N1.5; `OPTIONAL_N16`, `OPTIONAL_N17` in n1x/model.py), and `LoadReport.line()` says in one
line which were skipped and which were absent. Any other violation is a one-line `UserError`
naming the file and the tensor.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from ....errors import UserError

SINGLE = "model.safetensors"
INDEX = "model.safetensors.index.json"
CONFIG = "config.json"


@dataclasses.dataclass
class LoadReport:
    """What a strict load did with the optional tensors."""

    skipped: list[str]  # keys present in the files and not loaded
    absent: list[str]  # optional keys (or prefixes) with no tensor in the files
    optional: dict[str, str]

    def line(self, ckpt: Path) -> str:
        def name(k: str) -> str:
            return k + "*" if k.endswith(".") else k

        prefixes = sorted({next(p for p in self.optional if k.startswith(p)) for k in self.skipped})
        parts = []
        if prefixes:
            parts.append("skipped " + "; ".join(f"{name(p)} ({self.optional[p]})" for p in prefixes))
        if self.absent:
            parts.append("absent " + "; ".join(f"{name(p)} ({self.optional[p]})" for p in self.absent))
        what = ", ".join(parts) if parts else "none in the files"
        return f"{ckpt}: optional tensors the action never needs: {what}"


def shard_name(k: int, n: int) -> str:
    return f"model-{k:05d}-of-{n:05d}.safetensors"


def weight_files(ckpt: Path) -> dict[Path, list[str] | None]:
    """The safetensors files of a checkpoint, each with the keys the index puts there
    (None for a single unindexed file)."""
    if not ckpt.is_dir():
        raise UserError("checkpoint directory not found", where=str(ckpt))
    index = ckpt / INDEX
    if index.is_file():
        try:
            data = json.loads(index.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise UserError(f"unreadable index ({e})".splitlines()[0], where=str(index)) from None
        wmap = data.get("weight_map") if isinstance(data, dict) else None
        if not isinstance(wmap, dict) or not wmap:
            raise UserError("index has no weight_map", where=str(index))
        files: dict[Path, list[str] | None] = {}
        for key, fname in wmap.items():
            if not isinstance(fname, str) or "/" in fname or fname.startswith("."):
                raise UserError(f"bad file name {fname!r} for tensor {key!r}", where=str(index))
            files.setdefault(ckpt / fname, []).append(key)  # type: ignore[union-attr]
        for f in files:
            if not f.is_file():
                raise UserError(f"shard {f.name} named in {INDEX} is missing", where=str(ckpt))
        return files
    single = ckpt / SINGLE
    if single.is_file():
        return {single: None}
    raise UserError(f"no weights: expected {SINGLE} or {INDEX} with its shards", where=str(ckpt))


@torch.no_grad()
def load_weights(model: nn.Module, ckpt: Path, optional: dict[str, str]) -> LoadReport:
    """Fill `model` (any device and dtype) from the checkpoint, strictly. Tensors matching a
    key or prefix of `optional` are skipped when present (the model must not have them)."""
    unused = tuple(optional)
    targets = model.state_dict()
    wrong = sorted(k for k in targets if k.startswith(unused))
    if wrong:
        raise RuntimeError(f"the model builds {wrong[0]!r}, which this generation's checkpoints may omit")
    loaded: set[str] = set()
    skipped: list[str] = []
    for path, listed in weight_files(ckpt).items():
        try:
            with safe_open(str(path), framework="pt", device="cpu") as f:
                keys = list(f.keys())
                if listed is not None:
                    missing_here = sorted(set(listed) - set(keys))
                    if missing_here:
                        raise UserError(
                            f"tensor {missing_here[0]!r} listed in {INDEX} is missing from this shard", where=str(path)
                        )
                    stray = sorted(set(keys) - set(listed))
                    if stray:
                        raise UserError(f"tensor {stray[0]!r} is in this shard but not in {INDEX}", where=str(path))
                for key in keys:
                    if key in loaded:
                        raise UserError(f"tensor {key!r} appears in more than one file", where=str(path))
                    if key not in targets:
                        if key.startswith(unused):
                            skipped.append(key)
                            continue
                        raise UserError(f"unexpected tensor {key!r}: the model has no such parameter", where=str(path))
                    t = f.get_tensor(key)
                    dst = targets[key]
                    if tuple(t.shape) != tuple(dst.shape):
                        raise UserError(
                            f"tensor {key!r} has shape {tuple(t.shape)}, the model expects {tuple(dst.shape)}",
                            where=str(path),
                        )
                    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
                        raise UserError(f"tensor {key!r} holds NaN or inf values", where=str(path))
                    dst.copy_(t)
                    loaded.add(key)
        except SafetensorError as e:
            raise UserError(f"corrupt safetensors file ({e})".splitlines()[0], where=str(path)) from None
    missing = sorted(set(targets) - loaded)
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise UserError(f"missing tensor {missing[0]!r}{more}", where=str(ckpt))
    absent = [p for p in optional if not any(k.startswith(p) for k in skipped)]
    return LoadReport(sorted(skipped), absent, dict(optional))


def save_weights(tensors: dict[str, torch.Tensor], ckpt: Path, num_shards: int = 1) -> list[Path]:
    """Write tensors as one `model.safetensors` or as N shards with an index, in the HF layout."""
    ckpt.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    meta = {"format": "pt"}
    if num_shards <= 1:
        save_file(tensors, str(ckpt / SINGLE), metadata=meta)
        return [ckpt / SINGLE]
    # Greedy fill in key order, like HF: each shard gets about total / N bytes.
    sizes = {k: v.numel() * v.element_size() for k, v in tensors.items()}
    total = sum(sizes.values())
    per = math.ceil(total / num_shards)
    groups: list[list[str]] = [[]]
    acc = 0
    for k in tensors:
        if acc + sizes[k] > per and groups[-1] and len(groups) < num_shards:
            groups.append([])
            acc = 0
        groups[-1].append(k)
        acc += sizes[k]
    n = len(groups)
    weight_map: dict[str, str] = {}
    paths = []
    for i, keys in enumerate(groups, 1):
        name = shard_name(i, n)
        save_file({k: tensors[k] for k in keys}, str(ckpt / name), metadata=meta)
        weight_map.update({k: name for k in keys})
        paths.append(ckpt / name)
    (ckpt / INDEX).write_text(
        json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2) + "\n"
    )
    return paths
