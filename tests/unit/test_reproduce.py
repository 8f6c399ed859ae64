"""Recipes of the shipped checkpoints (scripts/reproduce_checkpoint.py): parsing, the
commands they expand to, and one-line errors for bad recipes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from arena_eval.cards import load_policy, load_suite
from arena_eval.datasets.reproduce import CHECKPOINTS, commands, load_recipe
from arena_eval.errors import UserError
from arena_eval.gates.ci import load_entries

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("entry", load_entries(), ids=lambda e: e["policy"])
def test_every_gated_checkpoint_has_a_recipe_for_its_tasks(entry):
    card = load_policy(entry["policy"])
    name = Path(card.checkpoint).resolve().parent.name
    recipe = load_recipe(name)
    rec = recipe["record"]
    assert rec["suite"] == entry["suite"]
    assert set(rec["tasks"]) == set(entry.get("tasks") or [t.name for t in load_suite(rec["suite"]).tasks])
    assert rec["policy"] == "scripted" and rec["only_success"] is True
    assert (CHECKPOINTS / name / "train.json").is_file()


def test_commands_record_then_train(tmp_path):
    recipe = load_recipe("small-gr00t-cartpole")
    rec, train = commands(recipe, tmp_path, episodes=3, steps=2)
    assert rec[1].endswith("record.py") and train[1].endswith("train_small.py")
    assert rec[rec.index("--episodes") + 1] == "3" and rec[rec.index("--tasks") + 1] == "cartpole_balance"
    assert "--only-success" in rec and rec[rec.index("--action-noise") + 1] == "0.3"
    assert rec[rec.index("--out") + 1] == str(tmp_path / "data")
    assert train[train.index("--data") + 1] == str(tmp_path / "data" / "cartpole_balance")
    assert train[train.index("--steps") + 1] == "2" and train[train.index("--n-action-steps") + 1] == "1"


def test_a_recipe_of_two_tasks_trains_one_checkpoint_on_both(tmp_path):
    recipe = load_recipe("small-gr00t-kitchen-vision")
    rec, train = commands(recipe, tmp_path)
    tasks = rec[rec.index("--tasks") + 1].split(",")
    assert len(tasks) == 2
    assert [train[i + 1] for i, x in enumerate(train) if x == "--data"] == [str(tmp_path / "data" / t) for t in tasks]
    # trained without the privileged fixture state the scripted expert read
    assert train[train.index("--exclude") + 1] == "state.fixture_pos,state.fixture_joints"


@pytest.mark.parametrize("text,field", [
    ("record: {suite: smoke}\n", "'train'"),
    ("record: {suite: smoke, policy: scripted, episodes: 2, seed: 1}\ntrain: {}\n", "record.tasks"),
    ("record: {suite: smoke, tasks: [a], policy: scripted, episodes: x, seed: 1}\ntrain: {}\n", "record.episodes"),
    ("record: {suite: smoke, tasks: [a], policy: scripted, episodes: 2, seed: 1}\ntrain: {stepz: 3}\n", "train.stepz"),
    ("record: {suite: smoke, tasks: [], policy: scripted, episodes: 2, seed: 1}\ntrain: {}\n", "record.tasks"),
    ("record: {suite: smoke, tasks: [a], policy: scripted, episodes: 2, seed: 1}\ntrain: {exclude: state.x}\n",
     "train.exclude"),
])
def test_bad_recipes_name_the_field(tmp_path, text, field):
    path = tmp_path / "recipe.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as e:
        load_recipe(str(path))
    assert str(path) in str(e.value) and field in str(e.value)


def test_unknown_checkpoint_is_one_line_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "scripts/reproduce_checkpoint.py", "no-such-ckpt", "--out", str(tmp_path / "o")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "small-gr00t-cartpole" in proc.stderr
