"""report.html renders in a real browser: headless Chromium loads it, lays out the summary
table, decodes the embedded plots and paints a non-blank page.

Needs Debian's `chromium` (/usr/bin/chromium), installed by the project's setup. A missing
browser fails the test on purpose: a skipped test would let a broken report pass CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_browser import dump_dom, rendered_plots, screenshot
from helpers_runs import DEFAULT_TIMING, REPO_ROOT, make_run, outcomes

from arena_eval.reports import run as report

SCREENSHOT = REPO_ROOT / "artifacts" / "report_screenshot.png"


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    run = make_run(root, "browser-run", {
        "Isaac-Lift-Cube-Franka-v0": outcomes(17, 3),
        "open_drawer": outcomes(11, 8, 1),
        "stack_blocks": outcomes(4, 16),
        "cartpole_balance": outcomes(20, 0),
    }, timing=DEFAULT_TIMING)
    return report.write_reports(run)["report.html"]


def test_dom_has_table_and_rendered_plots(report_html: Path) -> None:
    dom = dump_dom(report_html)
    assert 'id="summary-table"' in dom
    assert dom.count("<tr") >= 1 + 4 + 1  # header, 4 tasks, pooled row
    assert len(rendered_plots(dom)) == 2


def test_screenshot_is_not_blank(report_html: Path) -> None:
    colours = screenshot(report_html, SCREENSHOT)
    # Plot colours (success-rate bars) made it to the screen, not just text.
    assert any(abs(r - 0x3B) < 12 and abs(g - 0x75) < 12 and abs(b - 0xAF) < 12 for _, (r, g, b) in colours)
