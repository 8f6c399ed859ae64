"""Unit tests of sharding and of the Ray driver's bookkeeping, against a fake backend
(the real local Ray cluster is in test_ray.py)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from arena_eval.cards import POLICIES_DIR, TASKS_DIR, load_policy, load_suite, parse_policy, task_from_card
from arena_eval.errors import PolicyUnavailable, SimulatorError, UserError
from arena_eval.records import EpisodeRecord, RunWriter, read_records
from arena_eval.run import PlannedEpisode, episode_seed
from arena_eval.run import distributed as d

REPO = Path(__file__).resolve().parents[2]


def plan(task: str, n: int, skip=()) -> list[PlannedEpisode]:
    return [PlannedEpisode(task, i, episode_seed(0, task, i)) for i in range(n) if i not in skip]


def outcome_of(seed: int) -> str:
    return "success" if seed % 3 else "failure"


class FakeBackend:
    """Runs each submitted attempt at once: one record per episode (outcome from the seed),
    optionally dying after `die[(shard id, attempt)]` records, or re-sending a record the
    driver already has (a message of a dead attempt that arrived late)."""

    def __init__(self, die=None, replay=None, result=None, files=()):
        self.die = die or {}
        self.replay = replay or {}
        self.result = result
        self.files = files
        self.pending: list[tuple] = []
        self.submitted: list[tuple[int, int, list[int], dict]] = []
        self.shut = False

    def submit(self, shard, attempt, job, resources):
        self.submitted.append((shard.id, attempt, [e for e, _ in shard.episodes], resources))
        msgs = []
        for ep in self.replay.get((shard.id, attempt), []):
            msgs.append(self._rec(shard, ep, dict(shard.episodes).get(ep, 0)))
        limit = self.die.get((shard.id, attempt))
        for k, (ep, seed) in enumerate(shard.episodes):
            if limit is not None and k == limit:
                self.pending += msgs + [("failed", shard.id, attempt, "WorkerCrashedError: killed")]
                return
            msgs.append(self._rec(shard, ep, seed, attempt))
        for rel in self.files:
            msgs.append(("file", shard.id, attempt, rel, b"mp4"))
        res = self.result or {"status": "ok", "timing": {"sim_s": 1.0, "policy_s": 0.5, "wall_s": 2.0, "env_steps": 10}}
        self.pending += msgs + [("done", shard.id, attempt, res)]

    @staticmethod
    def _rec(shard, ep, seed, attempt=1):
        r = EpisodeRecord(shard.task, ep, seed, outcome_of(seed), "time_limit", 5, timing={"attempt": attempt})
        return ("record", shard.id, attempt, r.to_json())

    def poll(self, timeout):
        out, self.pending = self.pending, []
        return out

    def shutdown(self):
        self.shut = True


def job():
    suite = load_suite("smoke")
    return d.Job.of(list(suite.tasks), load_policy("scripted"), 0, 2)


def run_drive(tmp_path, shards, backend, retries=3):
    res = {s.task: {"num_cpus": 1.0, "num_gpus": 0.0} for s in shards}
    with RunWriter(tmp_path) as w:
        stats = d.drive(backend, shards, job(), res, w.append, tmp_path, retries=retries, progress=False)
    return stats, read_records(tmp_path / "episodes.jsonl")


# --- shards ------------------------------------------------------------------------------


def test_shards_cover_the_plan_in_contiguous_ranges():
    todo = {"a": plan("a", 10), "b": plan("b", 3)}
    shards = d.make_shards(todo, {"a": 1, "b": 2}, size=4)
    assert [(s.task, [e for e, _ in s.episodes]) for s in shards] == [
        ("a", [0, 1, 2, 3]), ("a", [4, 5, 6, 7]), ("a", [8, 9]), ("b", [0, 1, 2])]
    assert [s.id for s in shards] == [0, 1, 2, 3]
    seeds = {(s.task, e): seed for s in shards for e, seed in s.episodes}
    assert seeds == {(p.task, p.episode): p.seed for eps in todo.values() for p in eps}


def test_default_shard_size_is_rounds_of_env_slots():
    shards = d.make_shards({"a": plan("a", 20)}, {"a": 2})
    assert [len(s.episodes) for s in shards] == [8, 8, 4]


def test_resumed_plans_with_gaps_split_at_the_gaps():
    shards = d.make_shards({"a": plan("a", 8, skip={2, 3, 6})}, {"a": 1}, size=10)
    assert [[e for e, _ in s.episodes] for s in shards] == [[0, 1], [4, 5], [7]]


def test_shard_size_below_one_is_a_user_error():
    with pytest.raises(UserError, match="--shard-size"):
        d.make_shards({"a": plan("a", 2)}, {"a": 1}, size=0)


# --- cards on the wire ---------------------------------------------------------------------


@pytest.mark.parametrize("card", sorted(p.stem for p in TASKS_DIR.glob("*.yaml")))
def test_every_task_card_survives_the_wire(card):
    for t in load_suite(card).tasks:
        wire = json.loads(json.dumps(t.to_card()))  # plain data only
        assert task_from_card(wire, t.source) == t


@pytest.mark.parametrize("card", sorted(p.stem for p in POLICIES_DIR.glob("*.yaml")))
def test_every_policy_card_survives_the_wire(card):
    p = load_policy(card)
    assert parse_policy(json.loads(json.dumps(p.to_card())), p.source) == p


def test_resources_follow_the_cards():
    t = load_suite("smoke").tasks[0]
    cpu = load_policy("scripted")
    assert d.resources(t, cpu) == {"num_cpus": 1.0, "num_gpus": 0.0}
    gpu_policy = dataclasses.replace(cpu, type="gr00t", device="cuda")
    assert d.resources(t, gpu_policy)["num_gpus"] == 1.0
    assert d.resources(t, dataclasses.replace(gpu_policy, type="remote"))["num_gpus"] == 0.0
    cuda_env = dataclasses.replace(t, env=dataclasses.replace(t.env, device="cuda:0", cpus=4.0))
    assert d.resources(cuda_env, cpu) == {"num_cpus": 4.0, "num_gpus": 1.0}
    pinned = dataclasses.replace(t, env=dataclasses.replace(t.env, device="cuda:0", gpus=0.5))
    assert d.resources(pinned, gpu_policy)["num_gpus"] == 0.5


def test_bad_resources_in_a_card_name_the_field():
    card = load_suite("smoke").tasks[0].to_card()
    card["env"]["resources"] = {"cpus": -1}
    with pytest.raises(UserError, match=r"env\.resources\.cpus: expected a number >= 0"):
        task_from_card(card, "x.yaml")
    card["env"]["resources"] = {"gpu": 1}
    with pytest.raises(UserError, match="unknown field 'gpu'"):
        task_from_card(card, "x.yaml")


# --- the driver ----------------------------------------------------------------------------


def test_all_shards_recorded_once(tmp_path):
    shards = d.make_shards({"a": plan("a", 7)}, {"a": 1}, size=3)
    stats, recs = run_drive(tmp_path, shards, FakeBackend())
    assert sorted(r.episode for r in recs) == list(range(7))
    assert all(r.outcome == outcome_of(r.seed) for r in recs)
    assert stats.shards == stats.attempts == 3 and not stats.failures
    assert stats.timing.env_steps == 30 and stats.timing.sim_s == 3.0


def test_a_killed_shard_is_retried_with_only_its_missing_episodes(tmp_path):
    shards = d.make_shards({"a": plan("a", 6)}, {"a": 1}, size=3)
    backend = FakeBackend(die={(0, 1): 2})  # shard 0's first worker dies after 2 episodes
    stats, recs = run_drive(tmp_path, shards, backend)
    assert sorted(r.episode for r in recs) == list(range(6))
    assert (0, 2, [2], {"num_cpus": 1.0, "num_gpus": 0.0}) in backend.submitted
    assert stats.attempts == 3 and len(stats.failures) == 1 and "WorkerCrashedError" in stats.failures[0]


def test_a_record_sent_twice_is_counted_once(tmp_path):
    shards = d.make_shards({"a": plan("a", 4)}, {"a": 1}, size=4)
    # The first attempt dies after 2; the second re-sends episode 1 (a late message).
    backend = FakeBackend(die={(0, 1): 2}, replay={(0, 2): [1]})
    _, recs = run_drive(tmp_path, shards, backend)
    assert sorted(r.episode for r in recs) == [0, 1, 2, 3]
    lines = (tmp_path / "episodes.jsonl").read_text().splitlines()
    assert len(lines) == 4


def test_a_shard_failing_too_often_stops_the_run_keeping_its_records(tmp_path):
    shards = d.make_shards({"a": plan("a", 4)}, {"a": 1}, size=2)
    backend = FakeBackend(die={(1, 1): 1, (1, 2): 0, (1, 3): 0})
    with pytest.raises(d.ShardsFailed, match=r"a\[2..3\] failed 3 times"):
        run_drive(tmp_path, shards, backend, retries=2)
    assert sorted(r.episode for r in read_records(tmp_path / "episodes.jsonl")) == [0, 1, 2]


def test_a_shard_returning_without_all_records_is_retried(tmp_path):
    class Forgetful(FakeBackend):
        def submit(self, shard, attempt, job, resources):
            super().submit(shard, attempt, job, resources)
            if attempt == 1:  # drop the last record of the first attempt
                i = max(i for i, m in enumerate(self.pending) if m[0] == "record")
                del self.pending[i]

    shards = d.make_shards({"a": plan("a", 3)}, {"a": 1}, size=3)
    stats, recs = run_drive(tmp_path, shards, Forgetful())
    assert sorted(r.episode for r in recs) == [0, 1, 2]
    assert "without records of episodes [2]" in stats.failures[0]


@pytest.mark.parametrize(
    "result, exc",
    [
        ({"status": "user_error", "message": "g1.yaml: state.x: no such key"}, UserError),
        ({"status": "stopped", "kind": "simulator", "message": "non-finite"}, SimulatorError),
        ({"status": "stopped", "kind": "policy", "message": "server gone"}, PolicyUnavailable),
    ],
)
def test_worker_verdicts_stop_the_run_as_locally(tmp_path, result, exc):
    shards = d.make_shards({"a": plan("a", 2)}, {"a": 1})
    with pytest.raises(exc, match=result["message"]):
        run_drive(tmp_path, shards, FakeBackend(result=result))


def test_videos_land_in_the_run_dir_and_bad_paths_are_refused(tmp_path):
    shards = d.make_shards({"a": plan("a", 1)}, {"a": 1})
    run_drive(tmp_path, shards, FakeBackend(files=["media/a/episode_0000_ego_view.mp4"]))
    (tmp_path / "x").mkdir()
    assert (tmp_path / "media/a/episode_0000_ego_view.mp4").read_bytes() == b"mp4"
    with pytest.raises(RuntimeError, match="bad path"):
        run_drive(tmp_path / "x", shards, FakeBackend(files=["../../etc/passwd"]))


def test_a_record_from_outside_the_shard_is_refused(tmp_path):
    class Stray(FakeBackend):
        def submit(self, shard, attempt, job, resources):
            self.pending.append(self._rec(dataclasses.replace(shard, task="other"), 0, 1))

    with pytest.raises(RuntimeError, match="does not hold"):
        run_drive(tmp_path, d.make_shards({"a": plan("a", 1)}, {"a": 1}), Stray())


# --- the command line --------------------------------------------------------------------


def _evaluate(*args, cwd):
    return subprocess.run([sys.executable, str(REPO / "scripts" / "evaluate.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, field", [
    (["--shard-size", "4"], "--ray"),
    (["--ray", "local", "--shard-size", "0"], "--shard-size"),
    (["--ray", "local", "--ray-retries", "-1"], "--ray-retries"),
    (["--ray", "auto", "--ray-cpus", "2"], "--ray-cpus"),
])
def test_ray_flags_are_checked(tmp_path, args, field):
    r = _evaluate("--suite", "smoke", "--policy", "zero", "--out", str(tmp_path / "o"), *args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert field in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_local_run_does_not_import_ray():
    code = "import sys, arena_eval.run.evaluate, arena_eval.run.distributed; assert 'ray' not in sys.modules, 'ray imported'"
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
