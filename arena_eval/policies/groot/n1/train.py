"""Train a small GR00T (the project's own model code, tiny SigLIP, Qwen3 and DiT sizes,
randomly initialised, a tokenizer the project builds) with the flow-matching loss on a
recorded LeRobot v2 dataset, on CPU; write the checkpoint in the real GR00T layout.

`scripts/train_small.py --data DATA/<task> [--data DATA/<task2> ...] --out OUT` writes::

    OUT/checkpoint/   config.json, model.safetensors (+ index), experiment_cfg/metadata.json
                      with the dataset's statistics
    OUT/processor/    tokenizer, chat template, Eagle config
    OUT/policy.yaml   the policy card (paths relative to it)
    OUT/train.json    arguments, dataset hash, held-out episodes, loss curve, wall time

Samples are (episode, step) pairs: the observation at the step (state keys, camera frame,
instruction) and the next `action_horizon` recorded actions, the last one repeated past
the episode's end. The last `--holdout` episodes of each dataset are not trained on
(open-loop evaluation uses them; see `eval_open_loop.py`). Several datasets (one per task,
the same keys) train one checkpoint that tells the tasks apart by their instructions;
`--exclude` leaves observation keys out of the model (the privileged state the scripted
expert needed), and `--image-size`, `--vision-width`, `--vision-layers` size the camera path.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from tqdm import tqdm

from ....cards import ANNOTATION_KEY, parse_policy
from ....datasets import LeRobotDataset
from ....errors import UserError
from ..common.checkpoint import save_weights
from ..common.encoders import CategorySpecificLinear
from ..common.tiny import TinySpec, tiny_card
from .checkpoint import METADATA
from .images import crop_resize
from .tiny import write_tiny

TAG = "new_embodiment"
INITS = ("fan_in", "original")


def fan_in_init(model: torch.nn.Module, seed: int) -> int:
    """Draw every per-embodiment linear map (state encoder, action encoder and decoder) as
    N(0, 1/fan_in) instead of the original's N(0, 0.02^2). The original's scale suits its
    widths (~1,000: gain 0.02 * sqrt(1536) ~ 0.8 per layer); at the small widths here the gain
    is ~0.1 per layer, the noisy action barely reaches the DiT and training stalls (G1 lift,
    14 action dims: loss 0.90 flat from step 600 and closed loop 0/20; with this init 0.15 by
    step 300). Returns the number of maps redrawn."""
    gen = torch.Generator().manual_seed(seed)
    n = 0
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, CategorySpecificLinear):
                c, fan_in, out = mod.W.shape
                mod.W.copy_(torch.randn(c, fan_in, out, generator=gen) / math.sqrt(fan_in))
                n += 1
    return n


def dataset_stats(ds: LeRobotDataset, spec: TinySpec) -> dict[str, dict[str, dict[str, list[float]]]]:
    """Per-key statistics in checkpoint-metadata form, sliced from the dataset's stats."""
    flat = ds.stats()
    out: dict[str, dict[str, dict[str, list[float]]]] = {}
    for kind, column in (("state", "observation.state"), ("action", "action")):
        out[kind] = {}
        for key in getattr(spec, kind):
            sl = ds.modality[kind][key]
            out[kind][key] = {s: list(map(float, v[sl["start"]:sl["end"]])) for s, v in flat[column].items()}
    return out


def frame_stats(datasets: list[LeRobotDataset]) -> dict[str, dict[str, dict[str, list[float]]]]:
    """As `dataset_stats`, over every frame of several datasets together (stats.json's way)."""
    from ....datasets.lerobot import STAT_QUANTILES

    cols: dict[str, list[np.ndarray]] = {}
    for ds in datasets:
        for i in range(len(ds)):
            for k, v in ds.load(i, video=False).items():
                if k.startswith(("state.", "action.")):
                    cols.setdefault(k, []).append(np.asarray(v, np.float64))
    out: dict[str, dict[str, dict[str, list[float]]]] = {"state": {}, "action": {}}
    for k, parts in cols.items():
        x = np.concatenate(parts)
        q = np.quantile(x, STAT_QUANTILES, axis=0)
        kind, name = k.split(".", 1)
        out[kind][name] = {"mean": x.mean(0).tolist(), "std": x.std(0).tolist(), "min": x.min(0).tolist(),
                           "max": x.max(0).tolist(), "q01": q[0].tolist(), "q99": q[1].tolist()}
    return out


def _layout(ds: LeRobotDataset) -> dict[str, Any]:
    return {kind: {k: (v["start"], v["end"]) for k, v in ds.modality.get(kind, {}).items()} for kind in ("state", "action")} | {
        "video": sorted(ds.modality.get("video", {}))}


def open_datasets(data: Path | list[Path], holdout: int) -> list[LeRobotDataset]:
    """The datasets to train on (one per task); every one must record the same keys."""
    paths = [data] if isinstance(data, (str, Path)) else list(data)
    if not paths:
        raise UserError("no dataset given", field="--data")
    out = [LeRobotDataset(p) for p in paths]
    for p, ds in zip(paths, out):
        if len(ds) <= holdout:
            raise UserError(f"has {len(ds)} episodes; need more than --holdout {holdout}", where=str(p))
        if _layout(ds) != _layout(out[0]):
            raise UserError(f"records other keys than {paths[0]} (every dataset trained together must record "
                            "the same state, action and camera keys)", where=str(p))
    return out


class Samples:
    """Every (episode, step) of the training episodes of one or more datasets, held in memory."""

    def __init__(self, parts: list[tuple[LeRobotDataset, list[int]]], horizon: int, video: bool,
                 exclude: tuple[str, ...] = (), prep: Any = None):
        """`prep` maps an episode's frames [T, H, W, 3] to what is kept (the processor's
        crop and resize, done once here rather than in every batch)."""
        eps = []
        for ds, idx in parts:
            for i in tqdm(idx, desc=f"load {ds.root.name}", disable=not video, dynamic_ncols=True):
                e = {k: v for k, v in ds.load(i, video=video).items() if k not in exclude}
                if prep is not None:
                    e.update({k: prep(v) for k, v in e.items() if k.startswith("video.")})
                eps.append(e)
        self.keys = [k for k in eps[0] if k != "annotation"]
        self.data = {k: np.concatenate([e[k] for e in eps]) for k in self.keys}
        self.text = [e["annotation"] for e in eps for _ in range(len(e[self.keys[0]]))]
        starts = np.cumsum([0] + [len(e[self.keys[0]]) for e in eps])
        n = starts[-1]
        # chunk[i] = rows of steps i .. i+H-1, clipped to the end of i's episode
        end = np.repeat(starts[1:] - 1, np.diff(starts))
        self.chunk = np.minimum(np.arange(n)[:, None] + np.arange(horizon)[None, :], end[:, None])
        self.n = n
        texts = np.array(self.text, dtype=object)
        self.groups = [np.flatnonzero(texts == t) for t in dict.fromkeys(self.text)]

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """A batch of rows sharing one instruction (a group drawn in proportion to its rows).
        Instructions of different lengths in one batch are padded, and GR00T's action head
        attends to every backbone token, pads included (as the original's does): a model
        trained on mixed batches learns the short instruction with pads after it, yet is
        queried without them (the two wide kitchen tasks: the drawer's shorter instruction,
        fitted in mixed batches, had a loss of 0.38 unpadded against the button's 0.004,
        and the drawer scored 0/40 closed loop)."""
        if len(self.groups) == 1:
            return rng.integers(0, self.n, size=size)
        g = self.groups[rng.choice(len(self.groups), p=[len(x) / self.n for x in self.groups])]
        return g[rng.integers(0, len(g), size=size)]

    def batch(self, idx: np.ndarray) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        obs: dict[str, Any] = {k: self.data[k][idx][:, None] for k in self.keys if not k.startswith("action.")}
        obs[ANNOTATION_KEY] = [self.text[i] for i in idx]
        acts = {k: self.data[k][self.chunk[idx]] for k in self.keys if k.startswith("action.")}
        return obs, acts


def train(
    data: Path | list[Path],
    out: Path,
    *,
    steps: int = 3000,
    batch: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    holdout: int = 2,
    n_action_steps: int = 8,
    denoising_steps: int = 4,
    threads: int = 2,
    video: bool = True,
    init: str = "fan_in",
    image_size: int = 28,
    vision_width: int = 32,
    vision_layers: int = 2,
    exclude: tuple[str, ...] = (),
    progress: bool = True,
) -> Path:
    if init not in INITS:
        raise UserError(f"expected one of {', '.join(INITS)}, got {init!r}", field="--init")
    if image_size % 14:
        raise UserError(f"expected a multiple of SigLIP's 14-pixel patch, got {image_size}", field="--image-size")
    datasets = open_datasets(data, holdout)
    if out.exists() and any(out.iterdir()):
        raise UserError("exists and is not empty", where=str(out))
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    ds = datasets[0]
    first = ds.load(0, video=video)
    unknown = [k for k in exclude if k not in first or k.startswith("action.")]
    if unknown:
        known = [k for k in first if k.startswith(("state.", "video."))]
        raise UserError(f"cannot leave out {', '.join(unknown)} (observation keys of {ds.root}: {', '.join(known)})",
                        field="--exclude")
    for k in exclude:
        del first[k]
    stats = dataset_stats(ds, TinySpec(state={k.split(".", 1)[1]: 0 for k in ds.keys("state")},
                                       action={k.split(".", 1)[1]: 0 for k in ds.keys("action")})) \
        if len(datasets) == 1 else frame_stats(datasets)
    # Constant action keys carry nothing to learn, yet as flow-matching targets they drown the
    # informative dims (a G1 lift trained with them plateaued at a loss of 0.93): leave them
    # out of the model and its card.
    constant = [k for k in ds.keys("action") if stats["action"][k.split(".", 1)[1]]["min"] == stats["action"][k.split(".", 1)[1]]["max"]]
    if len(constant) == len(ds.keys("action")):
        raise UserError("every action key is constant in the recorded episodes: nothing to learn", where=str(ds.root))
    if constant:
        print(f"train_small: leaving out action keys constant in every episode: {', '.join(constant)}", flush=True)
    spec = TinySpec(
        state={k.split(".", 1)[1]: first[k].shape[1] for k in ds.keys("state") if k in first},
        action={k.split(".", 1)[1]: first[k].shape[1] for k in ds.keys("action") if k not in constant},
        video={k.split(".", 1)[1]: (first[k].shape[2], first[k].shape[1]) for k in ds.keys("video") if k in first}
        if video else {},
    )
    ckpt, proc = out / "checkpoint", out / "processor"
    eagle = {"image_size": image_size, "vision_width": vision_width, "vision_layers": vision_layers}
    write_tiny(ckpt, proc, embodiments={TAG: spec}, seed=seed, num_shards=1, dropout=0.0, eagle=eagle)
    meta = json.loads((ckpt / METADATA).read_text())
    meta[TAG]["statistics"] = {kind: {k: stats[kind][k] for k in getattr(spec, kind)} for kind in ("state", "action")}
    for name, (w, h) in spec.video.items():
        meta[TAG]["modalities"]["video"][name]["fps"] = ds.fps
    (ckpt / METADATA).write_text(json.dumps(meta, indent=2) + "\n")
    names = ", ".join(str(d.root) for d in datasets)
    card = tiny_card(f"small-gr00t-{out.name}", Path("checkpoint"), Path("processor"), spec,
                     n_action_steps=n_action_steps, denoising_steps=denoising_steps, seed=seed, cpu_threads=threads)
    card_path = out / "policy.yaml"
    card_path.write_text(f"# Small GR00T N1.5 trained by scripts/train_small.py on {names}.\n"
                         + yaml.safe_dump(card, sort_keys=False))

    from .policy import Gr00tN1Policy

    policy = Gr00tN1Policy(parse_policy(card, str(card_path)))
    model, proc_ = policy.model, policy.processor
    if init == "fan_in":
        fan_in_init(model, seed)
    horizon = model.cfg.action_head_cfg.action_horizon
    train_eps = [list(range(len(d) - holdout)) for d in datasets]
    size = proc_.eagle.image_size
    samples = Samples(list(zip(datasets, train_eps)), horizon, video, exclude,
                      prep=lambda v: crop_resize(v, size, proc_.crop_scale).permute(0, 2, 3, 1).numpy())
    proc_.frames_prepped = True
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=1e-4)
    warmup = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / max(1, steps)))))
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    model.train()
    t0 = time.perf_counter()
    bar = tqdm(range(steps), desc="train", disable=not progress, dynamic_ncols=True)
    for step in bar:
        obs, acts = samples.batch(samples.draw(rng, batch))
        x = proc_.inputs(obs, ANNOTATION_KEY)
        a, m = proc_.pack_actions(acts)
        loss = model.loss(x, proc_.image_token_id, a, m, generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if step % 50 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", refresh=False)
    model.eval()
    save_weights({k: v.detach().float().contiguous() for k, v in model.state_dict().items()}, ckpt, 1)
    from ....records import content_hash

    one = len(datasets) == 1
    hashes = [content_hash([str(d.root / "data"), str(d.root / "meta")]) for d in datasets]
    holdouts = [list(range(len(d) - holdout, len(d))) for d in datasets]
    (out / "train.json").write_text(json.dumps({
        "data": str(ds.root) if one else [str(d.root) for d in datasets],
        "data_sha256": hashes[0] if one else hashes,
        "episodes": len(ds) if one else [len(d) for d in datasets],
        "train_episodes": train_eps[0] if one else train_eps,
        "holdout_episodes": holdouts[0] if one else holdouts,
        "samples": int(samples.n), "constant_actions_left_out": constant, "steps": steps, "batch": batch, "lr": lr, "seed": seed, "threads": threads,
        "video": video, "init": init, **({"exclude": list(exclude)} if exclude else {}), "wall_s": round(time.perf_counter() - t0, 1),
        **({} if image_size == 28 and vision_width == 32 and vision_layers == 2 else {"vision": eagle}),
        "loss_every_100": [round(float(np.mean(losses[i:i + 100])), 5) for i in range(0, len(losses), 100)],
        "parameters": sum(p.numel() for p in model.parameters()),
    }, indent=2) + "\n")
    return card_path


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="train_small.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, action="append",
                   help="a LeRobot v2 dataset (one task), e.g. from record.py; repeat it to train one "
                        "checkpoint on several tasks (same keys, each episode keeps its instruction)")
    p.add_argument("--out", type=Path, required=True, help="output directory (must not exist or be empty)")
    p.add_argument("--steps", type=int, default=3000, help="optimiser steps (0: the untrained model, as a baseline)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--holdout", type=int, default=2, help="last episodes kept out of training (for open-loop eval)")
    p.add_argument("--n-action-steps", type=int, default=8, help="steps of each 16-step chunk executed (card)")
    p.add_argument("--denoising-steps", type=int, default=4)
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--no-video", action="store_true", help="train without the camera keys")
    p.add_argument("--init", choices=INITS, default="fan_in",
                   help="initial per-embodiment maps: fan_in (N(0, 1/fan_in), for small widths) or "
                        "original (N(0, 0.02^2), as GR00T)")
    p.add_argument("--image-size", type=int, default=28, help="camera frames are resized to this side (multiple of 14)")
    p.add_argument("--vision-width", type=int, default=32, help="SigLIP width")
    p.add_argument("--vision-layers", type=int, default=2, help="SigLIP layers")
    p.add_argument("--exclude", default="", help="comma-separated observation keys to leave out of the model, "
                   "e.g. privileged state the scripted expert needed (state.object_pos)")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    if a.steps < 0:
        raise UserError(f"expected an integer >= 0, got {a.steps}", field="--steps")
    for name in ("batch", "threads", "n_action_steps", "denoising_steps", "image_size", "vision_width", "vision_layers"):
        if getattr(a, name) < 1:
            raise UserError(f"expected an integer >= 1, got {getattr(a, name)}", field="--" + name.replace("_", "-"))
    card = train(a.data, a.out, steps=a.steps, batch=a.batch, lr=a.lr, seed=a.seed, holdout=a.holdout,
                 n_action_steps=a.n_action_steps, denoising_steps=a.denoising_steps, threads=a.threads,
                 video=not a.no_video, init=a.init, image_size=a.image_size, vision_width=a.vision_width,
                 vision_layers=a.vision_layers, exclude=tuple(k for k in a.exclude.split(",") if k),
                 progress=not a.no_progress)
    print(card)
    return 0
