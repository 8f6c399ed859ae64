"""Records: appended durably, torn tails survived, never a duplicate."""

from __future__ import annotations

import json

import pytest

from arena_eval.errors import UserError
from arena_eval.results import EPISODES, EpisodeRecord, RunWriter, read_records, write_json_atomic


def rec(ep, outcome="success", task="t"):
    return EpisodeRecord(task=task, episode=ep, seed=100 + ep, outcome=outcome, reason="time_limit", steps=5)


def test_append_and_read_back(tmp_path):
    with RunWriter(tmp_path) as w:
        assert w.append(rec(0))
        assert w.append(rec(1, "failure"))
        assert not w.append(rec(0))  # already recorded
    records = read_records(tmp_path / EPISODES)
    assert [(r.episode, r.outcome) for r in records] == [(0, "success"), (1, "failure")]
    # Each line is complete JSON on disk as soon as append returns.
    assert all(json.loads(line) for line in (tmp_path / EPISODES).read_text().splitlines())


def test_torn_last_line_is_ignored_and_repaired(tmp_path):
    path = tmp_path / EPISODES
    path.write_text(rec(0).to_json() + "\n" + rec(1).to_json()[:20])
    assert [r.episode for r in read_records(path)] == [0]
    with RunWriter(tmp_path) as w:
        assert w.done == {("t", 0)}
        w.append(rec(1))
    assert [r.episode for r in read_records(path)] == [0, 1]


def test_torn_line_in_the_middle_is_an_error(tmp_path):
    path = tmp_path / EPISODES
    path.write_text(rec(0).to_json() + "\n{garbage\n" + rec(1).to_json() + "\n")
    with pytest.raises(UserError, match="line 2 is not a valid episode record"):
        read_records(path)


def test_outcome_is_validated():
    with pytest.raises(ValueError):
        rec(0, outcome="maybe")


def test_atomic_json(tmp_path):
    write_json_atomic(tmp_path / "m.json", {"a": (1, 2)})
    assert json.loads((tmp_path / "m.json").read_text()) == {"a": [1, 2]}
    assert not list(tmp_path.glob("*.tmp"))
