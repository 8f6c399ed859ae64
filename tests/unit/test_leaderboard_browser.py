"""leaderboard.html renders in headless Chromium: the table, the plot decoded and painted."""

from __future__ import annotations

from pathlib import Path

from helpers_browser import dump_dom, rendered_plots, screenshot
from helpers_runs import REPO_ROOT, make_run, outcomes

from arena_eval.reports.leaderboard import write
from arena_eval.stats.leaderboard import build


def test_leaderboard_renders(tmp_path: Path) -> None:
    runs = [make_run(tmp_path, n, {"a": outcomes(s, 20 - s), "b": outcomes(max(0, s - 3), 20 - max(0, s - 3))})
            for n, s in (("scripted", 20), ("model", 14), ("degraded", 3), ("random", 0))]
    html = write(build(runs, n_boot=300), tmp_path / "lb")[".html"]
    dom = dump_dom(html)
    assert 'id="leaderboard"' in dom and 'id="pairs"' in dom and dom.count("<tr") >= 1 + 4 + 1 + 6
    assert len(rendered_plots(dom)) == 1
    colours = screenshot(html, REPO_ROOT / "artifacts" / "leaderboard_screenshot.png")
    # The rank-interval bars' colour reached the screen.
    assert any(abs(r - 0x3B) < 40 and abs(g - 0x75) < 40 and abs(b - 0xAF) < 40 for _, (r, g, b) in colours)
