"""The leaderboard over real smoke-suite runs: scripted, the shipped small GR00T checkpoint,
its degraded copy (random weights) and random, all on one plan; opened in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_browser import dump_dom, rendered_plots, screenshot
from test_shipped_checkpoint import degrade

from arena_eval.reports.leaderboard import write
from arena_eval.stats.leaderboard import build

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.isaaclab
def test_leaderboard_of_four_policies(runs, tmp_path: Path) -> None:
    card = degrade(ROOT / "policies" / "small-gr00t-cartpole.yaml", tmp_path / "degraded")
    dirs = [runs.scripted4(), runs.get("gr00t-n4", "small-gr00t-cartpole", 4),
            runs.get("gr00t-degraded-n4", str(card), 4), runs.random4()]
    res = build(dirs, n_boot=1000)
    board = res["board"].set_index("run")
    assert board.loc[dirs[0].name, "rank_low"] == 1  # scripted balances every episode
    assert board.loc[dirs[0].name, "score"] > board.loc[dirs[2].name, "score"]
    assert board.loc[dirs[1].name, "score"] >= board.loc[dirs[2].name, "score"]
    assert len(res["pairs"]) == 6 and (res["pairs"]["test"] == "McNemar exact").all()
    html = write(res, tmp_path / "lb")[".html"]
    dom = dump_dom(html)
    assert 'id="leaderboard"' in dom and all(d.name in dom for d in dirs)
    assert len(rendered_plots(dom)) == 1
    screenshot(html, ROOT / "artifacts" / "smoke_leaderboard.png")
