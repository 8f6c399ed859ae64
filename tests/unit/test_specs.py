"""Cards: the shipped ones load, and every mistake is one line naming file and field."""

from __future__ import annotations

import copy

import pytest
import yaml
from fakes import FAKE_TASK

from arena_eval.cards import (
    POLICIES_DIR,
    TASKS_DIR,
    load_policy,
    load_suite,
    override,
    parse_policy,
    parse_suite,
    select_tasks,
)
from arena_eval.errors import UserError


def suite_with(**task_changes):
    task = copy.deepcopy(FAKE_TASK)
    for k, v in task_changes.items():
        if v is None:
            task.pop(k, None)
        else:
            task[k] = v
    return {"name": "s", "tasks": [task]}


def test_shipped_cards_load():
    for card in TASKS_DIR.glob("*.yaml"):
        suite = load_suite(str(card))
        assert suite.tasks
    for card in POLICIES_DIR.glob("*.yaml"):
        load_policy(str(card))
    smoke = load_suite("smoke")
    t = smoke.task("cartpole_balance")
    assert t.env.id == "Isaac-Cartpole-Direct" and t.env.physics == "newton_mjwarp" and t.env.device == "cpu"
    assert t.action_dim == 1 and t.expert == "cartpole_balance"
    assert t.failure_when["pole_fell"].outside == (-1.2, 1.2)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"max_steps": "ten"}, r"tasks\[0\]\.max_steps: expected int, got str 'ten'"),
        ({"episodes": 0}, r"tasks\[0\]\.episodes: expected an integer >= 1, got 0"),
        ({"episodes": True}, r"tasks\[0\]\.episodes: expected int, got bool"),
        ({"instruction": None}, r"tasks\[0\]\.instruction: missing required field"),
        ({"success": "sometimes"}, r"tasks\[0\]\.success: expected 'time_limit' or \{term: <name>, rule"),
        ({"success": {"term": "s", "rule": "sometimes"}}, r"tasks\[0\]\.success\.rule: expected any_step, at_end or"),
        ({"success": {"term": "s", "rule": {"held": 0}}}, r"tasks\[0\]\.success\.rule: expected any_step"),
        ({"failure_terms": {"dropped": "gone"}}, r"tasks\[0\]\.failure_terms\.dropped: expected an outcome code"),
        ({"max_mde": 2}, r"tasks\[0\]\.max_mde: expected a number in \(0, 1\]"),
        ({"colour": "red"}, r"tasks\[0\]: unknown field 'colour'"),
        ({"observations": {"pixels": {"source": "p"}}}, r"modality key 'pixels' must look like video.<name> or state.<name>"),
        ({"observations": {"state.x": {"source": "p", "index": [3, 1]}}}, r"index: expected \[start, end\]"),
        ({"actions": {"state.a": {"dim": 1}}}, r"must look like action.<name>"),
        ({"actions": {"action.a": {"dim": 1, "low": 1, "high": -1}}}, r"expected low < high"),
        ({"env": {"id": "X", "num_envs": 0}}, r"tasks\[0\]\.env\.num_envs: expected an integer >= 1, got 0"),
        ({"env": {"id": "X", "app": "kit"}}, r"env\.app: expected one of"),
        ({"failure_when": {"f": {"key": "state.nope", "index": 0, "outside": [0, 1]}}}, r"failure_when\.f\.key"),
        ({"observations": {"state.h": {"constant": []}}}, r"observations\.state\.h\.constant: expected a non-empty list of numbers"),
        ({"observations": {"video.h": {"constant": [0]}}}, r"observations\.video\.h\.constant: expected a non-empty list of numbers, on a state"),
        ({"actions": {"action.a": {"dim": 2, "fill": [0]}}}, r"actions\.action\.a\.fill: expected a list of 2 numbers"),
        ({"actions": {"action.a": {"dim": 1, "fill": ["x"]}}}, r"actions\.action\.a\.fill: expected a list of 1 numbers"),
        ({"actions": {"action.a": {"dim": 1, "ignore": True, "fill": [0]}}}, r"an ignored key is never sent, so it takes no fill"),
        ({"actions": {"action.a": {"dim": 1, "ignore": "yes"}}}, r"actions\.action\.a\.ignore: expected bool"),
    ],
)
def test_bad_task_fields_name_file_and_field(change, message):
    with pytest.raises(UserError, match=message) as e:
        parse_suite(suite_with(**change), "tasks/x.yaml")
    assert str(e.value).startswith("tasks/x.yaml: ")
    assert "\n" not in str(e.value)


def test_bad_policy_fields():
    with pytest.raises(UserError, match=r"p.yaml: type: expected one of"):
        parse_policy({"name": "x", "type": "magic"}, "p.yaml")
    with pytest.raises(UserError, match=r"n_action_steps \(8\) must not exceed action_horizon \(4\)"):
        parse_policy({"name": "x", "type": "zero", "action_horizon": 4, "n_action_steps": 8}, "p.yaml")
    with pytest.raises(UserError, match=r"seed: expected int, got str"):
        parse_policy({"name": "x", "type": "zero", "seed": "a"}, "p.yaml")


def test_unknown_names_and_malformed_yaml(tmp_path):
    with pytest.raises(UserError, match=r"unknown suite 'nope' \(known: .*smoke"):
        load_suite("nope")
    with pytest.raises(UserError, match=r"unknown policy 'nope' \(known: .*random"):
        load_policy("nope")
    with pytest.raises(UserError, match=r"suite card not found"):
        load_suite(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: s\ntasks: [\n  - {name: a\n")
    with pytest.raises(UserError, match=r"bad.yaml: malformed YAML at line \d+, column \d+"):
        load_suite(str(bad))
    notmap = tmp_path / "list.yaml"
    notmap.write_text("- a\n- b\n")
    with pytest.raises(UserError, match=r"expected a mapping, got list"):
        load_suite(str(notmap))


def test_yaml_is_loaded_safely(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("name: !!python/object/apply:os.system ['echo pwned']\ntasks: []\n")
    with pytest.raises(UserError, match="malformed YAML"):
        load_suite(str(evil))


def test_select_and_override():
    suite = parse_suite(
        {"name": "s", "tasks": [dict(FAKE_TASK, name="a"), dict(FAKE_TASK, name="b")]}, "<t>"
    )
    assert [t.name for t in select_tasks(suite, ["b"]).tasks] == ["b"]
    with pytest.raises(UserError, match=r"unknown task 'c' \(suite has: a, b\)"):
        select_tasks(suite, ["c"])
    o = override(suite, num_envs=3, episodes=7)
    assert all(t.env.num_envs == 3 and t.episodes == 7 for t in o.tasks)
    with pytest.raises(UserError, match=r"--num-envs: expected an integer >= 1, got 0"):
        override(suite, num_envs=0)
    with pytest.raises(UserError, match=r"--episodes: expected an integer >= 1, got -1"):
        override(suite, episodes=-1)
    with pytest.raises(UserError, match="duplicate task name 'a'"):
        parse_suite({"name": "s", "tasks": [dict(FAKE_TASK, name="a"), dict(FAKE_TASK, name="a")]}, "<t>")


def test_cards_round_trip_through_yaml():
    smoke = load_suite("smoke")
    text = yaml.safe_dump(smoke.to_dict())
    assert "Isaac-Cartpole-Direct" in text


def test_official_g1_cards_use_the_arena_modality_layout():
    suite = load_suite("g1_official")
    arena = suite.task("arena_galileo_g1_locomanip_pick_and_place")
    dims = {k: (o.index[1] - o.index[0]) for k, o in arena.observations.items() if o.index}
    assert dims == {"state.left_arm": 7, "state.right_arm": 7, "state.left_hand": 7, "state.right_hand": 7, "state.waist": 3}
    assert {k: a.dim for k, a in arena.actions.items()} == {
        "action.left_arm": 7, "action.right_arm": 7, "action.left_hand": 7, "action.right_hand": 7,
        "action.base_height_command": 1, "action.navigate_command": 3,
    }
    assert "video.ego_view" in arena.observations
    for t in suite.tasks:
        assert t.env.app == "isaacsim" and "isaacsim" in t.env.requires


def test_official_arena_card_matches_the_arena_policy_card():
    """The Arena task card provides exactly the keys the Arena GR00T card reads and takes
    exactly the actions it returns, so the fine-tune maps onto the task by card."""
    task = load_suite("g1_official").task("arena_galileo_g1_locomanip_pick_and_place")
    card = load_policy("gr00t-n1.5-arena-g1")
    wants = set(card.params["video"]) | set(card.params["state"])
    assert wants <= set(task.observations)
    assert list(card.params["action"]) == list(task.actions)  # same keys, same concatenation order
    assert card.params["embodiment_tag"] == "new_embodiment" and card.params["denoising_steps"] == 10
    assert card.action_horizon == card.n_action_steps == 16


def test_constant_observations_and_optional_actions():
    t = parse_suite(suite_with(
        observations={"state.x": {"source": "policy", "index": [0, 2]}, "state.hand": {"constant": [0, 1.5]}},
        actions={"action.a": {"dim": 1}, "action.hand": {"dim": 2, "ignore": True}, "action.w": {"dim": 3, "fill": [0, 0, 1]}},
    ), "tasks/x.yaml").tasks[0]
    assert t.observations["state.hand"].constant == (0.0, 1.5) and t.observations["state.hand"].dim == 2
    assert t.observations["state.x"].dim == 2
    assert t.action_dim == 4  # the ignored key is not sent to the env
    assert [k for k, a in t.actions.items() if a.required] == ["action.a"]
    assert t.action_key_mismatch({"action.a"}) is None
    assert t.action_key_mismatch({"action.a", "action.hand", "action.w"}) is None
    assert "lacks action.a" in t.action_key_mismatch({"action.w"})
    assert "gives unknown action.z" in t.action_key_mismatch({"action.a", "action.z"})


@pytest.mark.parametrize("task_name", ["g1_pick_place", "g1_lift", "g1_locomanip_pick_place"])
def test_project_g1_tasks_take_the_arena_policy_card(task_name):
    """A checkpoint fine-tuned on Arena maps onto the project's own G1 tasks by card: every
    state and video key it reads is provided, and its action keys fit (hand and base-height
    keys are taken but dropped on the palm-pad robot; the waist is held when not given)."""
    task = load_suite("g1").task(task_name)
    card = load_policy("gr00t-n1.5-arena-g1")
    assert set(card.params["video"]) | set(card.params["state"]) <= set(task.observations)
    for key in ("state.left_hand", "state.right_hand"):
        assert task.observations[key].constant == (0.0,) * 7
    assert task.action_key_mismatch(card.params["action"]) is None
    sent = [k for k, a in task.actions.items() if not a.ignore]
    assert sent == ["action.left_arm", "action.right_arm", "action.waist"] + (
        ["action.navigate_command"] if task_name == "g1_locomanip_pick_place" else [])
    assert task.actions["action.waist"].fill == (0.0, 0.0, 0.0)
