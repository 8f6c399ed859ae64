"""Reading and writing GR00T checkpoint weights (safetensors only; no pickle anywhere).

A checkpoint directory holds `config.json`, `experiment_cfg/metadata.json` and either
`model.safetensors` or shards `model-0000K-of-0000N.safetensors` with
`model.safetensors.index.json`. Loading is strict: every tensor the model has must be in the
files, with its shape and finite values, and every tensor in the files must be used, except
the few the action never needs (`UNUSED_PREFIXES`: the language-model head and SigLIP's
attention-pooling head), which are neither loaded nor computed. Any violation is a one-line
`UserError` naming the file and the tensor.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from ...errors import UserError

SINGLE = "model.safetensors"
INDEX = "model.safetensors.index.json"
CONFIG = "config.json"
METADATA = "experiment_cfg/metadata.json"

# Present in real checkpoints, never needed for actions (N1.5 and N1 layouts).
UNUSED_PREFIXES = (
    "backbone.eagle_model.language_model.lm_head.",
    "backbone.eagle_model.vision_model.vision_model.head.",
    "backbone.model.language_model.lm_head.",
    "backbone.model.vision_model.vision_model.head.",
)


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


def checkpoint_files(ckpt: Path) -> list[Path]:
    """Every file whose content defines the checkpoint (for the run manifest's hash)."""
    files = [ckpt / CONFIG, ckpt / METADATA]
    if (ckpt / INDEX).is_file():
        files.append(ckpt / INDEX)
    files += sorted(weight_files(ckpt))
    return files


@torch.no_grad()
def load_weights(model: nn.Module, ckpt: Path, unused: tuple[str, ...] = UNUSED_PREFIXES) -> list[str]:
    """Fill `model` (any device and dtype) from the checkpoint, strictly. Returns the keys
    that were present but skipped as unused (those starting with one of `unused`)."""
    targets = model.state_dict()
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
    return skipped


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
