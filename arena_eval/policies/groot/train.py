"""Train a small GR00T (the project's own model code, tiny SigLIP, Qwen3 and DiT sizes,
randomly initialised, a tokenizer the project builds) with the flow-matching loss on a
recorded LeRobot v2 dataset, on CPU; write the checkpoint in the real GR00T layout.

`scripts/train_small.py --data DATA/<task> --out OUT` writes::

    OUT/checkpoint/   config.json, model.safetensors (+ index), experiment_cfg/metadata.json
                      with the dataset's statistics
    OUT/processor/    tokenizer, chat template, Eagle config
    OUT/policy.yaml   the policy card (paths relative to it)
    OUT/train.json    arguments, dataset hash, held-out episodes, loss curve, wall time

Samples are (episode, step) pairs: the observation at the step (state keys, camera frame,
instruction) and the next `action_horizon` recorded actions, the last one repeated past
the episode's end. The last `--holdout` episodes are not trained on (open-loop evaluation
uses them; see `eval_open_loop.py`).
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

from ...dataset import LeRobotDataset
from ...errors import UserError
from ...specs import ANNOTATION_KEY, parse_policy
from .checkpoint import METADATA, save_weights
from .tiny import TinySpec, tiny_card, write_tiny

TAG = "new_embodiment"
INITS = ("fan_in", "original")


def fan_in_init(model: torch.nn.Module, seed: int) -> int:
    """Draw every per-embodiment linear map (state encoder, action encoder and decoder) as
    N(0, 1/fan_in) instead of the original's N(0, 0.02^2). The original's scale suits its
    widths (~1,000: gain 0.02 * sqrt(1536) ~ 0.8 per layer); at the small widths here the gain
    is ~0.1 per layer, the noisy action barely reaches the DiT and training stalls (G1 lift,
    14 action dims: loss 0.90 flat from step 600 and closed loop 0/20; with this init 0.15 by
    step 300). Returns the number of maps redrawn."""
    from .action_head import CategorySpecificLinear

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


class Samples:
    """Every (episode, step) of the training episodes, held in memory."""

    def __init__(self, ds: LeRobotDataset, episodes: list[int], horizon: int, video: bool):
        eps = [ds.load(i, video=video) for i in episodes]
        self.keys = [k for k in eps[0] if k != "annotation"]
        self.data = {k: np.concatenate([e[k] for e in eps]) for k in self.keys}
        self.text = [e["annotation"] for e in eps for _ in range(len(e[self.keys[0]]))]
        starts = np.cumsum([0] + [len(e[self.keys[0]]) for e in eps])
        n = starts[-1]
        # chunk[i] = rows of steps i .. i+H-1, clipped to the end of i's episode
        end = np.repeat(starts[1:] - 1, np.diff(starts))
        self.chunk = np.minimum(np.arange(n)[:, None] + np.arange(horizon)[None, :], end[:, None])
        self.n = n

    def batch(self, idx: np.ndarray) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        obs: dict[str, Any] = {k: self.data[k][idx][:, None] for k in self.keys if not k.startswith("action.")}
        obs[ANNOTATION_KEY] = [self.text[i] for i in idx]
        acts = {k: self.data[k][self.chunk[idx]] for k in self.keys if k.startswith("action.")}
        return obs, acts


def train(
    data: Path,
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
    progress: bool = True,
) -> Path:
    if init not in INITS:
        raise UserError(f"expected one of {', '.join(INITS)}, got {init!r}", field="--init")
    ds = LeRobotDataset(data)
    if len(ds) <= holdout:
        raise UserError(f"has {len(ds)} episodes; need more than --holdout {holdout}", where=str(data))
    if out.exists() and any(out.iterdir()):
        raise UserError("exists and is not empty", where=str(out))
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    first = ds.load(0, video=video)
    # Constant action keys carry nothing to learn, yet as flow-matching targets they drown the
    # informative dims (a G1 lift trained with them plateaued at a loss of 0.93): leave them
    # out of the model and its card.
    constant = ds.constant_actions()
    if len(constant) == len(ds.keys("action")):
        raise UserError("every action key is constant in the recorded episodes: nothing to learn", where=str(data))
    if constant:
        print(f"train_small: leaving out action keys constant in every episode: {', '.join(constant)}", flush=True)
    spec = TinySpec(
        state={k.split(".", 1)[1]: first[k].shape[1] for k in ds.keys("state")},
        action={k.split(".", 1)[1]: first[k].shape[1] for k in ds.keys("action") if k not in constant},
        video={k.split(".", 1)[1]: (first[k].shape[2], first[k].shape[1]) for k in ds.keys("video")} if video else {},
    )
    ckpt, proc = out / "checkpoint", out / "processor"
    write_tiny(ckpt, proc, embodiments={TAG: spec}, seed=seed, num_shards=1, dropout=0.0)
    meta = json.loads((ckpt / METADATA).read_text())
    meta[TAG]["statistics"] = dataset_stats(ds, spec)
    for name, (w, h) in spec.video.items():
        meta[TAG]["modalities"]["video"][name]["fps"] = ds.fps
    (ckpt / METADATA).write_text(json.dumps(meta, indent=2) + "\n")
    card = tiny_card(f"small-gr00t-{out.name}", Path("checkpoint"), Path("processor"), spec,
                     n_action_steps=n_action_steps, denoising_steps=denoising_steps, seed=seed, cpu_threads=threads)
    card_path = out / "policy.yaml"
    card_path.write_text(f"# Small GR00T N1.5 trained by scripts/train_small.py on {data}.\n"
                         + yaml.safe_dump(card, sort_keys=False))

    from .policy import Gr00tPolicy

    policy = Gr00tPolicy(parse_policy(card, str(card_path)))
    model, proc_ = policy.model, policy.processor
    if init == "fan_in":
        fan_in_init(model, seed)
    horizon = model.cfg.action_head_cfg.action_horizon
    train_eps = list(range(len(ds) - holdout))
    samples = Samples(ds, train_eps, horizon, video)
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
        obs, acts = samples.batch(rng.integers(0, samples.n, size=batch))
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
    from ...fingerprint import content_hash

    (out / "train.json").write_text(json.dumps({
        "data": str(data), "data_sha256": content_hash([str(ds.root / "data"), str(ds.root / "meta")]),
        "episodes": len(ds), "train_episodes": train_eps, "holdout_episodes": list(range(len(ds) - holdout, len(ds))),
        "samples": int(samples.n), "constant_actions_left_out": constant, "steps": steps, "batch": batch, "lr": lr, "seed": seed, "threads": threads,
        "video": video, "init": init, "wall_s": round(time.perf_counter() - t0, 1),
        "loss_every_100": [round(float(np.mean(losses[i:i + 100])), 5) for i in range(0, len(losses), 100)],
        "parameters": sum(p.numel() for p in model.parameters()),
    }, indent=2) + "\n")
    return card_path


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="train_small.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, required=True, help="a LeRobot v2 dataset (one task), e.g. from record.py")
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
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    if a.steps < 0:
        raise UserError(f"expected an integer >= 0, got {a.steps}", field="--steps")
    for name in ("batch", "threads", "n_action_steps", "denoising_steps"):
        if getattr(a, name) < 1:
            raise UserError(f"expected an integer >= 1, got {getattr(a, name)}", field="--" + name.replace("_", "-"))
    card = train(a.data, a.out, steps=a.steps, batch=a.batch, lr=a.lr, seed=a.seed, holdout=a.holdout,
                 n_action_steps=a.n_action_steps, denoising_steps=a.denoising_steps, threads=a.threads,
                 video=not a.no_video, init=a.init, progress=not a.no_progress)
    print(card)
    return 0
