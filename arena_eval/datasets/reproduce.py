"""Rebuild a shipped checkpoint from scratch with one command: record its demonstrations
with the scripted expert, then train the small GR00T on them.

Each shipped checkpoint keeps its recipe beside it, `checkpoints/<name>/recipe.yaml`::

    record: {suite: smoke, tasks: [cartpole_balance], policy: scripted, episodes: 40, seed: 100,
             only_success: true, action_noise: 0.3}
    train: {steps: 3000, n_action_steps: 1}

`scripts/reproduce_checkpoint.py <name> --out DIR` writes `DIR/data/<task>/` for each task
(record.py) and `DIR/model/` (train_small.py on all of them, with its policy card), each step as its own process (Isaac
Lab holds one simulation per process), and prints the evaluation command. `--episodes` and
`--steps` shrink a recipe for a quick check of the pipeline.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from ..cards import REPO_ROOT
from ..errors import UserError

CHECKPOINTS = REPO_ROOT / "checkpoints"
RECORD_FIELDS = {"suite": str, "tasks": list, "policy": str, "episodes": int, "num_envs": int, "seed": int,
                 "only_success": bool, "action_noise": float}
TRAIN_FIELDS = {"steps": int, "batch": int, "lr": float, "seed": int, "holdout": int, "n_action_steps": int,
                "denoising_steps": int, "threads": int, "no_video": bool, "init": str, "image_size": int,
                "vision_width": int, "vision_layers": int, "exclude": list}


def load_recipe(name_or_path: str) -> dict[str, dict[str, Any]]:
    path = Path(name_or_path)
    if not path.suffix:
        path = CHECKPOINTS / name_or_path / "recipe.yaml"
    if not path.is_file():
        known = sorted(p.parent.name for p in CHECKPOINTS.glob("*/recipe.yaml"))
        raise UserError(f"no recipe (shipped checkpoints with one: {', '.join(known)})", where=str(path))
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise UserError(f"malformed YAML ({str(e).splitlines()[0]})", where=str(path))
    if not isinstance(data, dict) or not isinstance(data.get("record"), dict) or not isinstance(data.get("train"), dict):
        raise UserError("expected mappings 'record' and 'train'", where=str(path))
    for section, fields in (("record", RECORD_FIELDS), ("train", TRAIN_FIELDS)):
        for key, value in data[section].items():
            want = fields.get(key)
            if want is None:
                raise UserError(f"unknown field (known: {', '.join(fields)})", where=str(path), field=f"{section}.{key}")
            if not isinstance(value, want) or (want is int and isinstance(value, bool)):
                if not (want is float and isinstance(value, int) and not isinstance(value, bool)):
                    raise UserError(f"expected {want.__name__}, got {value!r}", where=str(path), field=f"{section}.{key}")
    for key in ("suite", "tasks", "policy", "episodes", "seed"):
        if key not in data["record"]:
            raise UserError("missing", where=str(path), field=f"record.{key}")
    if not data["record"]["tasks"] or not all(isinstance(t, str) for t in data["record"]["tasks"]):
        raise UserError("expected a list of task names (one dataset each, one checkpoint for all)", where=str(path),
                        field="record.tasks")
    return data


def _flags(args: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in args.items():
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            out += [flag] if value else []
        elif isinstance(value, list):
            out += [flag, ",".join(map(str, value))]
        else:
            out += [flag, str(value)]
    return out


def commands(recipe: dict[str, dict[str, Any]], out: Path, episodes: int | None = None,
             steps: int | None = None) -> list[list[str]]:
    """The record and train commands of a recipe, writing under `out`."""
    rec = dict(recipe["record"], **({"episodes": episodes} if episodes else {}))
    train = dict(recipe["train"], **({"steps": steps} if steps is not None else {}))
    py = sys.executable
    data = [arg for task in rec["tasks"] for arg in ("--data", str(out / "data" / task))]
    return [
        [py, str(REPO_ROOT / "scripts" / "record.py"), *_flags(rec), "--out", str(out / "data"), "--no-progress"],
        [py, str(REPO_ROOT / "scripts" / "train_small.py"), *data, "--out", str(out / "model"), *_flags(train)],
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="reproduce_checkpoint.py", description=__doc__.split("\n\n")[0])
    p.add_argument("name", help="a shipped checkpoint (checkpoints/<name>/recipe.yaml) or a recipe path")
    p.add_argument("--out", type=Path, required=True, help="new or empty directory for the data and the model")
    p.add_argument("--episodes", type=int, default=None, help="record this many episodes instead (quick check)")
    p.add_argument("--steps", type=int, default=None, help="train this many steps instead (quick check)")
    a = p.parse_args(argv)
    recipe = load_recipe(a.name)
    if a.out.exists() and any(a.out.iterdir()):
        raise UserError("holds files already; choose an empty or new directory", where=str(a.out))
    for name in ("episodes", "steps"):
        value = getattr(a, name)
        if value is not None and value < (1 if name == "episodes" else 0):
            raise UserError(f"expected an integer >= {1 if name == 'episodes' else 0}, got {value}", field="--" + name)
    walls = []
    for cmd in commands(recipe, a.out, a.episodes, a.steps):
        print("+ " + " ".join(cmd[1:]), flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO_ROOT)
        walls.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            return proc.returncode
    print(f"reproduce: recorded in {walls[0] / 60:.1f} min, trained in {walls[1] / 60:.1f} min "
          f"({sum(walls) / 60:.1f} min in all)", flush=True)
    rec = recipe["record"]
    print(f"evaluate: scripts/evaluate.py --suite {rec['suite']} --tasks {','.join(rec['tasks'])} "
          f"--policy {a.out / 'model' / 'policy.yaml'} --episodes 20 --seed 0", flush=True)
    return 0
