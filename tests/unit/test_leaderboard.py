"""Leaderboard (arena_eval.stats.leaderboard, scripts/leaderboard.py) on synthetic run dirs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers_runs import REPO_ROOT, make_run, outcomes

from arena_eval.errors import UserError
from arena_eval.stats.leaderboard import build, rank_intervals


@pytest.fixture
def runs(tmp_path: Path) -> list[Path]:
    return [
        make_run(tmp_path, "random", {"a": outcomes(1, 39), "b": outcomes(0, 40)}),
        make_run(tmp_path, "scripted", {"a": outcomes(40, 0), "b": outcomes(39, 1)}),
        make_run(tmp_path, "model", {"a": outcomes(30, 10), "b": outcomes(28, 11, 1)}),
        make_run(tmp_path, "model2", {"a": outcomes(29, 11), "b": outcomes(29, 11)}),
    ]


def test_board_ranks_and_intervals(runs: list[Path]) -> None:
    res = build(runs, n_boot=500)
    b = res["board"].set_index("run")
    assert list(res["board"]["run"]) == ["scripted", "model", "model2", "random"]
    assert b.loc["scripted", "rank_low"] == b.loc["scripted", "rank_high"] == 1
    assert b.loc["random", "rank_low"] == 4
    # The two models are indistinguishable: their rank intervals overlap and cover 2-3.
    assert (b.loc["model", "rank_low"], b.loc["model", "rank_high"]) == (2, 3)
    assert (b.loc["model2", "rank_low"], b.loc["model2", "rank_high"]) == (2, 3)
    assert b.loc["model", "errors"] == 1 and b.loc["model", "successes"] == 58
    p = res["pairs"].set_index(["run_a", "run_b"])
    assert len(p) == 6 and (p["test"] == "McNemar exact").all()
    assert p.loc[("random", "scripted"), "p_holm"] < 1e-6 and p.loc[("model", "model2"), "p_holm"] == pytest.approx(1.0)


def test_rank_intervals_paired_bootstrap() -> None:
    # Two runs that differ on exactly 3 of 200 shared episodes: paired resampling keeps
    # x never below y; an unpaired bootstrap would rank x second in about half the resamples.
    rng = np.random.default_rng(0)
    x = (rng.random(200) < 0.5).astype(float)
    y = x.copy()
    y[np.flatnonzero(x == 1)[:3]] = 0
    iv = rank_intervals([np.stack([x, y])], n_boot=1000)
    assert iv[0].tolist() == [1, 1] and iv[1, 1] == 2  # y ties x when no differing episode is drawn


def test_other_plan_is_refused(runs: list[Path], tmp_path: Path) -> None:
    other = make_run(tmp_path, "other", {"a": outcomes(20, 20), "b": outcomes(20, 20)}, seed=3)
    with pytest.raises(UserError, match="episode seeds differ"):
        build([runs[0], other])
    with pytest.raises(UserError, match="at least two runs"):
        build(runs[:1])


def test_cli_writes_md_csv_html(runs: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "lb"
    p = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "leaderboard.py"), *map(str, runs), "--out",
                        str(out), "--bootstrap", "300"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "| 1 | scripted | 98.8% |" in p.stdout
    assert {f.name for f in out.iterdir()} == {"leaderboard.md", "leaderboard.csv", "leaderboard_tasks.csv",
                                               "leaderboard_pairs.csv", "leaderboard.html"}
    html = (out / "leaderboard.html").read_text()
    assert 'id="leaderboard"' in html and "data:image/png;base64," in html
    bad = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "leaderboard.py"), str(runs[0]),
                          str(tmp_path / "nope")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
