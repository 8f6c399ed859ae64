"""Open-loop evaluation: a policy against the actions recorded in a LeRobot v2 dataset.

Along each trajectory the policy is queried every `action_horizon` steps on the recorded
observation (as Isaac-GR00T's eval_policy.py does); its chunks, laid end to end, are compared
with the recorded actions in world units. Reported per trajectory and action key: the mean
squared error over the trajectory and dims. Writes `open_loop.json`, `open_loop.csv` and one
plot per trajectory (predicted against recorded, per action dim) to `--out`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..cards import ANNOTATION_KEY, load_policy
from ..errors import UserError
from ..policies import Policy, make_policy
from .lerobot import LeRobotDataset


def rollout(policy: Policy, episode: dict[str, Any], seed: int, optional: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """The policy's chunks along one recorded episode, cut to its length: key -> [T, D]. The
    policy must give every recorded action key but those in `optional` (keys constant in
    the dataset, which a checkpoint trained on it leaves out)."""
    keys = [k for k in episode if k.startswith("action.")]
    t = len(episode[keys[0]])
    h = policy.action_horizon
    idx = np.arange(0, t, h)
    obs: dict[str, Any] = {k: episode[k][idx][:, None] for k in episode if k.startswith(("state.", "video."))}
    obs[ANNOTATION_KEY] = [episode["annotation"]] * len(idx)
    slots = np.arange(len(idx))
    policy.reset(slots, [seed * 100_003 + int(i) for i in slots])
    pred = policy.get_action(obs, slots)
    missing = sorted(set(keys) - set(pred) - set(optional))
    if missing:
        raise UserError(f"policy {policy.spec.name!r} gives no {', '.join(missing)}, which the dataset records")
    return {k: np.asarray(pred[k]).reshape(-1, pred[k].shape[-1])[:t] for k in keys if k in pred}


def plot(path: Path, recorded: dict[str, np.ndarray], predicted: dict[str, np.ndarray], horizon: int, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dims = [(k, d) for k in recorded for d in range(recorded[k].shape[1]) if np.ptp(recorded[k][:, d]) > 0 or
            np.ptp(predicted[k][:, d]) > 1e-6]
    dims = dims or [(k, 0) for k in recorded][:1]
    cols = min(4, len(dims))
    rows = (len(dims) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.2 * rows), squeeze=False)
    for ax, (k, d) in zip(axes.flat, dims):
        t = np.arange(len(recorded[k]))
        ax.plot(t, recorded[k][:, d], label="recorded", lw=1.2)
        ax.plot(t, predicted[k][:, d], label="predicted", lw=1.0)
        for q in range(0, len(t), horizon):
            ax.axvline(q, color="0.85", lw=0.5, zorder=0)
        ax.set_title(f"{k.split('.', 1)[1]}[{d}]", fontsize=8)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[len(dims):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def evaluate_open_loop(policy: Policy, ds: LeRobotDataset, episodes: list[int], out: Path | None,
                       seed: int = 0, plots: bool = True) -> list[dict[str, Any]]:
    rows = []
    constant = tuple(ds.constant_actions())
    for i in episodes:
        ep = ds.load(i, video=bool(ds.keys("video")))
        pred = rollout(policy, ep, seed + i, optional=constant)
        rec = {k: ep[k] for k in pred}
        row: dict[str, Any] = {"episode": i, "length": len(next(iter(rec.values())))}
        for k in pred:
            row[f"mse.{k}"] = float(np.mean((pred[k] - rec[k]) ** 2))
        row["mse"] = float(np.mean(np.concatenate([((pred[k] - rec[k]) ** 2).ravel() for k in pred])))
        rows.append(row)
        if out is not None and plots:
            plot(out / f"episode_{i:06d}.png", rec, pred, policy.action_horizon,
                 f"{policy.spec.name}: episode {i}, MSE {row['mse']:.4g}")
    return rows


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    p = argparse.ArgumentParser(prog="eval_open_loop.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--policy", required=True, help="policy name in policies/ or a path to a policy card")
    p.add_argument("--data", type=Path, required=True, help="a LeRobot v2 dataset with meta/modality.json")
    p.add_argument("--episodes", default=None,
                   help="comma-separated episode indices (default: the held-out ones named in the checkpoint's "
                        "train.json, else all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None, help="output directory (default: results/open-loop-<time>)")
    p.add_argument("--no-plots", action="store_true")
    a = p.parse_args(argv)
    ds = LeRobotDataset(a.data)
    spec = load_policy(a.policy)
    if a.episodes:
        try:
            eps = [int(x) for x in a.episodes.split(",") if x]
        except ValueError:
            raise UserError(f"expected comma-separated integers, got {a.episodes!r}", field="--episodes") from None
    else:
        log = Path(spec.source).parent / "train.json"
        info = json.loads(log.read_text()) if log.is_file() else {}
        eps = info.get("holdout_episodes")
        if eps and isinstance(eps[0], list):  # trained on several datasets: this one's, by name
            names = [Path(d).name for d in info.get("data", [])]
            eps = eps[names.index(a.data.name)] if a.data.name in names else None
        eps = eps or list(range(len(ds)))
    bad = [e for e in eps if not 0 <= e < len(ds)]
    if bad:
        raise UserError(f"episode {bad[0]} is not in the dataset ({len(ds)} episodes)", field="--episodes")
    out = a.out or Path("results") / f"open-loop-{spec.name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
    if out.exists() and any(out.iterdir()):
        raise UserError("holds files already; choose another --out", where=str(out))
    out.mkdir(parents=True, exist_ok=True)
    policy = make_policy(spec)
    try:
        rows = evaluate_open_loop(policy, ds, eps, out, a.seed, plots=not a.no_plots)
    finally:
        policy.close()
    table = pd.DataFrame(rows)
    table.to_csv(out / "open_loop.csv", index=False)
    summary = {"policy": spec.to_card(), "data": str(a.data), "episodes": eps, "seed": a.seed,
               "mse": float(table["mse"].mean()),
               "mse_per_key": {c[4:]: float(table[c].mean()) for c in table.columns if c.startswith("mse.")},
               "trajectories": rows}
    (out / "open_loop.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(table.to_string(index=False))
    print(f"\nmean MSE {summary['mse']:.4g} over {len(eps)} trajectories; written to {out}")
    return 0

