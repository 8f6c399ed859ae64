"""train_small.py and eval_open_loop.py on a synthetic LeRobot v2 dataset (no simulator):
training lowers the open-loop error far below the untrained model's, the checkpoint is in the
real layout and loads strictly, and mistakes are one line with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arena_eval.cards import load_policy
from arena_eval.datasets import LeRobotDataset, LeRobotWriter
from arena_eval.datasets.open_loop import evaluate_open_loop
from arena_eval.policies import make_policy
from arena_eval.policies.groot.n1.train import train

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """8 episodes of a damped rotation from random starts; the action is a linear function of
    the state, so a chunk of future actions follows from the current state."""
    root = tmp_path_factory.mktemp("data") / "ds"
    w = LeRobotWriter(root, fps=20, state={"state.s": 2}, action={"action.a": 1, "action.hand": 2}, video={})
    rng = np.random.default_rng(0)
    for _ in range(8):
        c, d = np.cos(0.15), np.sin(0.15)
        s = [rng.uniform(-1, 1, 2)]
        for _ in range(39):
            s.append(0.97 * np.array([[c, -d], [d, c]]) @ s[-1])
        s = np.array(s, np.float32)
        a = (0.5 * s[:, :1] - 0.3 * s[:, 1:]).astype(np.float32)
        # action.hand never varies (a robot with no finger joints): nothing to learn from it
        w.add_episode("follow the line", {"state.s": s}, {"action.a": a, "action.hand": np.zeros((40, 2), np.float32)}, {})
    w.close()
    return root


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("ckpt")
    good = train(data, base / "trained", steps=600, batch=32, lr=2e-3, threads=1, holdout=2, progress=False)
    untrained = train(data, base / "untrained", steps=0, threads=1, holdout=2, progress=False)
    return good, untrained


def test_training_beats_the_untrained_model_open_loop(data, trained):
    ds = LeRobotDataset(data)
    mse = {}
    for name, card in zip(("trained", "untrained"), trained):
        policy = make_policy(load_policy(str(card)))
        rows = evaluate_open_loop(policy, ds, [0, 1], None)  # trained on: does training fit?
        mse[name] = float(np.mean([r["mse"] for r in rows]))
    assert mse["trained"] < 0.1 * mse["untrained"], mse


def test_checkpoint_layout_and_training_log(trained):
    out = trained[0].parent
    assert (out / "checkpoint" / "config.json").is_file()
    assert (out / "checkpoint" / "experiment_cfg" / "metadata.json").is_file()
    assert list((out / "checkpoint").glob("*.safetensors"))
    meta = json.loads((out / "checkpoint" / "experiment_cfg" / "metadata.json").read_text())
    stats = meta["new_embodiment"]["statistics"]
    assert set(stats["state"]) == {"s"} and set(stats["action"]) == {"a"}
    log = json.loads((out / "train.json").read_text())
    assert log["train_episodes"] == list(range(6)) and log["holdout_episodes"] == [6, 7]
    # the constant action key is left out of the model and its card
    assert log["constant_actions_left_out"] == ["action.hand"]
    assert set(load_policy(str(trained[0])).params["action"]) == {"action.a"}
    assert log["loss_every_100"][-1] < log["loss_every_100"][0]


def _run(script, *args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def test_open_loop_script_defaults_to_the_held_out_episodes(data, trained, tmp_path):
    r = _run("eval_open_loop.py", "--policy", str(trained[0]), "--data", str(data), "--out", str(tmp_path / "ol"))
    assert r.returncode == 0, r.stderr[-3000:]
    summary = json.loads((tmp_path / "ol" / "open_loop.json").read_text())
    assert summary["episodes"] == [6, 7] and set(summary["mse_per_key"]) == {"action.a"}
    assert (tmp_path / "ol" / "episode_000006.png").is_file() and (tmp_path / "ol" / "open_loop.csv").is_file()
    assert "mean MSE" in r.stdout


@pytest.mark.parametrize("script, args, words", [
    ("eval_open_loop.py", ["--episodes", "99"], "not in the dataset"),
    ("eval_open_loop.py", ["--episodes", "x"], "--episodes"),
    ("train_small.py", ["--holdout", "8"], "need more than --holdout 8"),
    ("train_small.py", ["--steps", "-1"], "--steps"),
])
def test_mistakes_are_one_line(data, trained, tmp_path, script, args, words):
    common = (["--policy", str(trained[0]), "--data", str(data), "--out", str(tmp_path / "o")]
              if script == "eval_open_loop.py" else ["--data", str(data), "--out", str(tmp_path / "o")])
    r = _run(script, *common, *args)
    assert r.returncode == 2, r.stderr[-2000:]
    assert words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_fan_in_init_redraws_the_per_embodiment_maps_reproducibly():
    """The small model's per-embodiment maps start at N(0, 1/fan_in), the same for the same
    seed (the original's 0.02 scale stalls training at small widths: see fan_in_init)."""
    import tempfile

    import torch

    from arena_eval.policies.groot import write_tiny
    from arena_eval.policies.groot.common.encoders import CategorySpecificLinear
    from arena_eval.policies.groot.n1.train import fan_in_init

    with tempfile.TemporaryDirectory() as d:
        a = write_tiny(Path(d) / "a" / "c", Path(d) / "a" / "p", seed=0, num_shards=1)
        b = write_tiny(Path(d) / "b" / "c", Path(d) / "b" / "p", seed=0, num_shards=1)
    before = {n: p.clone() for n, p in a.named_parameters()}
    assert fan_in_init(a, seed=3) == fan_in_init(b, seed=3) > 0
    for name, mod in a.named_modules():
        if isinstance(mod, CategorySpecificLinear):
            fan_in = mod.W.shape[1]
            assert abs(float(mod.W.detach().std()) * fan_in ** 0.5 - 1.0) < 0.15, name
            assert torch.equal(mod.W, b.get_submodule(name).W)
    changed = {n for n, p in a.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all(n.endswith(".W") for n in changed)  # nothing but the maps' weights


@pytest.fixture(scope="module")
def two_tasks(tmp_path_factory) -> tuple[Path, Path]:
    """Two datasets with the same keys (a camera, a privileged key) in which the instruction
    alone decides the action's sign: one checkpoint must read it to fit both."""
    roots = []
    for name, sign in (("up", 1.0), ("down", -1.0)):
        root = tmp_path_factory.mktemp("tasks") / name
        w = LeRobotWriter(root, fps=20, state={"state.s": 1, "state.secret": 1}, action={"action.a": 1},
                          video={"video.cam": (32, 32, 3)})
        rng = np.random.default_rng(1 if sign > 0 else 2)
        for _ in range(6):
            s = rng.uniform(-1, 1, (30, 1)).astype(np.float32)
            frames = np.full((30, 32, 32, 3), 90, np.uint8)
            w.add_episode(f"move {name}", {"state.s": s, "state.secret": s.copy()},
                          {"action.a": (sign * 0.5 + 0.1 * s).astype(np.float32)}, {"video.cam": frames})
        w.close()
        roots.append(root)
    return roots[0], roots[1]


def test_one_checkpoint_on_two_tasks_reads_the_instruction(two_tasks, tmp_path):
    up, down = two_tasks
    card = train([up, down], tmp_path / "both", steps=500, batch=32, lr=2e-3, threads=1, holdout=1, image_size=42,
                 vision_width=32, vision_layers=1, exclude=("state.secret",), progress=False)
    spec = load_policy(str(card))
    assert set(spec.params["state"]) == {"state.s"} and set(spec.params["video"]) == {"video.cam"}
    log = json.loads((card.parent / "train.json").read_text())
    assert log["holdout_episodes"] == [[5], [5]] and log["exclude"] == ["state.secret"]
    eagle = json.loads((card.parent / "processor" / "config.json").read_text())
    assert eagle["force_image_size"] == 42 and eagle["vision_config"]["num_hidden_layers"] == 1
    policy = make_policy(spec)
    mse = {}
    for data, own, other in ((up, "move up", "move down"), (down, "move down", "move up")):
        ds = LeRobotDataset(data)
        ep = ds.load(5)
        for told in (own, other):
            ep["annotation"] = told
            pred = rollout_one(policy, ep)
            mse[(data.name, told == own)] = float(np.mean((pred - ep["action.a"]) ** 2))
    for name in ("up", "down"):
        assert mse[(name, True)] < 0.25 * mse[(name, False)], mse
    # open-loop evaluation defaults to this dataset's own held-out episodes
    r = _run("eval_open_loop.py", "--policy", str(card), "--data", str(down), "--out", str(tmp_path / "ol"), "--no-plots")
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads((tmp_path / "ol" / "open_loop.json").read_text())["episodes"] == [5]


def rollout_one(policy, ep):
    from arena_eval.datasets.open_loop import rollout

    return rollout(policy, ep, seed=0)["action.a"]


def test_datasets_trained_together_must_record_the_same_keys(data, two_tasks, tmp_path):
    r = _run("train_small.py", "--data", str(two_tasks[0]), "--data", str(data), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "records other keys" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = _run("train_small.py", "--data", str(two_tasks[0]), "--exclude", "state.nope", "--out", str(tmp_path / "p"))
    assert r.returncode == 2 and "--exclude" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
