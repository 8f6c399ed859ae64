"""Outcome semantics without the simulator: the success rules in the cards, the failure-code
taxonomy, the runner's handling of refused starts, milestones and the step of first success,
and compare's minimum detectable effect and its refusal to pair different definitions.
(tests/integration/test_isaaclab_outcomes.py checks the same on real Isaac Lab.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEnv, fake_task
from helpers_runs import make_run
from helpers_runs import outcomes as oc

from arena_eval import outcomes
from arena_eval.cards import PolicySpec, parse_suite, task_from_card
from arena_eval.envs import StepResult
from arena_eval.errors import UserError
from arena_eval.policies import Policy
from arena_eval.run import PlannedEpisode, run_task
from arena_eval.stats import compare_table
from arena_eval.stats import rates as stats


def _task(**over):
    return parse_suite({"name": "s", "tasks": [{
        "name": "t", "instruction": "x", "max_steps": 10, "env": {"id": "X-v0"}, "success": "time_limit",
        "observations": {"state.x": {"source": "policy"}}, "actions": {"action.a": {"dim": 1}}, **over}]}, "<t>").tasks[0]


def test_cards_declare_their_rule_and_codes():
    t = _task(success={"term": "success", "rule": {"held": 25}}, failure_terms={"dropped": "object_dropped", "lost": "out_of_workspace"},
              failure_when={"fell": {"key": "state.x", "index": 0, "outside": [-1, 1], "code": "fell"}}, max_mde=0.2)
    assert (t.success.rule, t.success.hold, t.success.rule_text) == ("held", 25, "held: 25")
    assert t.failure_codes == {"dropped": "object_dropped", "lost": "out_of_workspace", "fell": "fell"}
    assert task_from_card(t.to_card(), t.source) == t  # Ray shards rebuild tasks from cards
    assert _task(success="time_limit").success.rule == "at_end"
    assert _task(success={"term": "s"}).success.rule == "any_step"
    assert _task(failure_terms=["a", "b"]).failure_codes == {"a": "task_failure", "b": "task_failure"}


@pytest.mark.parametrize("outcome,reason,code", [
    ("success", "term:success", "success"),
    ("failure", "time_limit", "time_limit"),
    ("failure", "term:dropped", "object_dropped"),
    ("failure", "term:lost,term:dropped", "out_of_workspace"),  # the first term named
    ("failure", "term:other", "task_failure"),
    ("failure", "failure_when:fell", "fell"),
    ("failure", "policy:non-finite action.arm", "policy_non_finite"),
    ("failure", "policy:action.arm out of limit [-1, 1]", "policy_out_of_limit"),
    ("failure", "policy:non-finite state.arm", "state_non_finite"),
    ("error", "error:solved at reset: the success condition holds at the start", "solved_at_reset"),
    ("error", "error:reset hygiene: reset to seed 3 again, ...", "reset_hygiene"),
    ("error", "error:policy ValueError: boom", "policy_error"),
    ("error", "error:worker 123 died (exit code -9)", "worker_died"),
    ("error", "error:simulator FloatingPointError", "simulator_error"),
    ("error", "error:something else", "harness_error"),
])
def test_every_reason_has_one_code(outcome, reason, code):
    codes = {"dropped": "object_dropped", "lost": "out_of_workspace", "fell": "fell"}
    assert outcomes.code_of(outcome, reason, codes) == code
    assert outcomes.describe(code) != code  # each code is documented in outcomes.py's table


class _Zero(Policy):
    def __init__(self):
        super().__init__(PolicySpec(name="z", type="zero"))

    def get_action(self, obs, slots):
        return {"action.a": np.zeros((len(slots), 1, 1), np.float32), "action.b": np.zeros((len(slots), 1, 2), np.float32)}


class _ProbingEnv(FakeEnv):
    """Refuses the start of seed 3; reports a milestone at step 2 and the success condition
    from step 3 on."""

    milestone_names = ["moved"]

    def reset_to(self, env_ids, seeds):
        out = super().reset_to(env_ids, seeds)
        self.reset_faults = {int(i): outcomes.SOLVED_AT_RESET + ": test" for i, s in zip(env_ids, seeds) if s == 3}
        return out

    def step_eval(self, action):
        r = super().step_eval(action)
        return StepResult(r.obs, r.done, r.success, r.error, r.reason, success_now=self.t >= 3,
                          milestones=(self.t >= 2)[:, None])


def test_refused_starts_are_errors_and_milestones_are_recorded():
    task = fake_task()
    env = _ProbingEnv(task, 2, lambda s: (5, s % 2 == 0))
    records: list = []
    run_task(env, _Zero(), task, [PlannedEpisode(task.name, i, s) for i, s in enumerate([1, 2, 3, 4])], records.append,
             progress=False)
    by_seed = {r.seed: r for r in records}
    assert sorted(by_seed) == [1, 2, 3, 4]
    assert (by_seed[3].outcome, by_seed[3].code, by_seed[3].steps) == ("error", "solved_at_reset", 0)
    for s in (1, 2, 4):
        r = by_seed[s]
        assert r.milestones == {"moved": 2} and r.success_step == 3 and r.steps == 5
    assert by_seed[2].code == "success" and by_seed[1].code == "task_failure"  # "term:fell", not mapped


def test_mde_and_verdicts():
    assert stats.min_detectable_effect(0.5, 20, 20, True) > 0.4  # 20 paired episodes see only big changes
    assert 0.15 < stats.min_detectable_effect(0.5, 112, 112, True) < 0.22
    assert stats.verdict(0.01, -0.3, 0.5, 0.3) == "worse"  # significant whatever the power
    assert stats.verdict(0.6, 0.0, 0.45, 0.3) == "not enough episodes to decide"
    assert stats.verdict(0.6, 0.0, 0.19, 0.3) == "no difference of 19 points or more"


def _with_definition(run: Path, sha: str, rule: str = "any_step") -> Path:
    m = json.loads((run / "manifest.json").read_text())
    m["definitions"] = {"a": {"rule": rule, "sha256": sha}}
    (run / "manifest.json").write_text(json.dumps(m))
    return run


def test_compare_refuses_runs_judged_by_other_definitions(tmp_path):
    base = _with_definition(make_run(tmp_path, "base", {"a": oc(15, 5)}), "1" * 64)
    same = _with_definition(make_run(tmp_path, "same", {"a": oc(14, 6)}), "1" * 64)
    other = _with_definition(make_run(tmp_path, "other", {"a": oc(14, 6)}), "2" * 64, "at_end")
    df = compare_table([base, same])
    row = df[(df["task"] == "a") & (df["run"] == "same")].iloc[0]
    assert row["rule"] == "any_step" and row["verdict"] == "not enough episodes to decide" and row["mde"] > 0.3
    with pytest.raises(UserError, match="another success/failure definition") as e:
        compare_table([base, other])
    assert "\n" not in str(e.value) and "at_end" in str(e.value)
