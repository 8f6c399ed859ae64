"""Per-run reports and run comparisons from synthetic run directories."""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from helpers_runs import DEFAULT_TIMING, make_run, outcomes

from arena_eval.errors import UserError
from arena_eval.reports import compare as compare_report
from arena_eval.reports import run as report
from arena_eval.stats import rates as stats
from arena_eval.stats import summarize

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return make_run(tmp_path, "base", {
        "lift_cube": outcomes(18, 2),
        "open_drawer": outcomes(12, 7, 1),
        "stack": outcomes(5, 15),
    }, timing=DEFAULT_TIMING)


def test_write_reports_writes_every_file(run: Path) -> None:
    paths = report.write_reports(run)
    assert set(paths) == {"summary.json", "summary.csv", "summary.md", "report.html"}
    for p in paths.values():
        assert p.parent == run and p.stat().st_size > 0
    assert not list(run.glob("*.tmp"))


def test_summary_json(run: Path) -> None:
    report.write_reports(run)
    s = json.loads((run / "summary.json").read_text())  # strict JSON: NaN written as null
    tasks = {t["task"]: t for t in s["tasks"]}
    assert [t["task"] for t in s["tasks"]] == ["lift_cube", "open_drawer", "stack"]
    assert tasks["open_drawer"]["errors"] == 1
    assert tasks["open_drawer"]["success_rate"] == pytest.approx(12 / 19)
    assert s["suite"]["successes"] == 35 and s["suite"]["failures"] == 24 and s["suite"]["errors"] == 1
    assert s["timing"]["fractions"]["sim"] == pytest.approx(0.7)
    assert s["run"]["policy"] == "scripted" and s["run"]["seed"] == 0
    assert s["run"]["git"] == "0123456789abcdef"


def test_summary_csv_numbers(run: Path) -> None:
    report.write_reports(run)
    df = pd.read_csv(run / "summary.csv")
    assert list(df["task"]) == ["lift_cube", "open_drawer", "stack", report.SUITE_ROW]
    assert list(df["kind"]) == ["task", "task", "task", "suite"]
    row = df.set_index("task").loc["lift_cube"]
    assert (row.episodes, row.successes, row.failures, row.errors) == (20, 18, 2, 0)
    assert row.success_rate == pytest.approx(0.9)
    assert row.ci_low == pytest.approx(0.69897, abs=1e-4) and row.ci_high == pytest.approx(0.97213, abs=1e-4)
    drawer = df.set_index("task").loc["open_drawer"]
    assert drawer.success_rate == pytest.approx(12 / 19)  # the error is not a failure
    suite = df.set_index("task").loc[report.SUITE_ROW]
    assert suite.success_rate == pytest.approx(35 / 59)
    assert suite.mean_task_rate == pytest.approx((0.9 + 12 / 19 + 0.25) / 3)


def test_summary_md_numbers(run: Path) -> None:
    report.write_reports(run)
    md = (run / "summary.md").read_text()
    assert "| task | rule | episodes | success rate | 95% CI | S/F/E | mean length |" in md
    assert "| lift_cube | unknown | 20 | 90.0% | [69.9, 97.2]% | 18/2/0 |" in md
    assert "| open_drawer | unknown | 20 | 63.2% |" in md and "| 12/7/1 |" in md
    assert f"| {report.SUITE_ROW} |  | 60 | 59.3% |" in md
    assert "open_drawer: 1 error episode, excluded" in md


def test_report_html_structure(run: Path) -> None:
    report.write_reports(run)
    html = (run / "report.html").read_text()
    assert 'id="summary-table"' in html
    imgs = re.findall(r'<img class="plot"[^>]*src="data:image/png;base64,([^"]+)"', html)
    assert len(imgs) == 2
    for b64 in imgs:
        assert base64.b64decode(b64).startswith(b"\x89PNG")
    for text in ("scripted", "synthetic", "0123456789abcdef", "sim 70.0 s (70%)", "harness 10.0 s (10%)", "cpu"):
        assert text in html
    assert "<script" not in html  # self-contained and static


def test_torn_last_line_is_tolerated(tmp_path: Path) -> None:
    run = make_run(tmp_path, "torn", {"a": outcomes(3, 1)}, torn_tail=True)
    report.write_reports(run)
    s = json.loads((run / "summary.json").read_text())
    assert s["tasks"][0]["episodes"] == 4 and s["tasks"][0]["successes"] == 3


def test_incomplete_task_and_missing_timing(tmp_path: Path) -> None:
    run = make_run(tmp_path, "partial", {"a": "SS.F.", "b": "...."})
    s = summarize(run)
    a, b = s["tasks"]
    assert (a["episodes"], a["planned"], a["complete"]) == (3, 5, False)
    assert (b["episodes"], b["complete"]) == (0, False) and b["success_rate"] != b["success_rate"]
    assert s["timing"] is None
    report.write_reports(run)
    md = (run / "summary.md").read_text()
    assert "| a | unknown | 3 of 5 |" in md and "incomplete" in md
    assert "| b | unknown | 0 of 4 | n/a | n/a |" in md
    assert "timing" in (run / "report.html").read_text()


def test_unplanned_records_are_refused(tmp_path: Path) -> None:
    """A record outside the plan was not produced by this run's plan (the plan never shrinks):
    the run is refused with the file, line and field, not counted or silently dropped."""
    run = make_run(tmp_path, "extra", {"a": "SSFS"}, planned={"a": 3})
    with pytest.raises(UserError, match=r"extra/episodes.jsonl: line 4: episode: 3 is outside the plan of task 'a'"):
        summarize(run)


def test_media_hook(tmp_path: Path) -> None:
    run = make_run(tmp_path, "media", {"a": "SF", "b": "FF"})
    (run / "media" / "a").mkdir(parents=True)
    (run / "media" / "a" / "frame.png").write_bytes(PNG_1PX)
    (run / "media" / "a" / "ep0.mp4").write_bytes(b"\x00" * 100)
    big = run / "media" / "a" / "ep1.mp4"
    with open(big, "wb") as fh:
        fh.truncate(report.MAX_INLINE_VIDEO_BYTES + 1)
    report.write_reports(run)
    html = (run / "report.html").read_text()
    assert '<img class="frame"' in html and "data:image/png;base64," + base64.b64encode(PNG_1PX).decode() in html
    assert 'src="data:video/mp4;base64,' in html  # small video embedded
    assert 'href="media/a/ep1.mp4"' in html  # big one linked relative to the run dir
    assert ">media</th>" in html


def test_not_a_run_dir(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such run directory"):
        summarize(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=re.escape(str(tmp_path / "empty"))):
        report.write_reports(tmp_path / "empty")
    with pytest.raises(UserError, match="nope"):
        compare_report.compare_runs([tmp_path / "nope"])


def test_compare_runs(tmp_path: Path) -> None:
    base = make_run(tmp_path, "base", {"a": outcomes(18, 2), "b": outcomes(10, 10)})
    paired = make_run(tmp_path, "paired", {"a": outcomes(8, 12), "b": outcomes(10, 10)})
    other = make_run(tmp_path, "other", {"a": outcomes(8, 12), "b": outcomes(11, 9), "c": "SSS"}, seed=7)
    out = tmp_path / "cmp"
    df = compare_report.compare_runs([base, paired, other], out_dir=out)
    for name in ("compare.md", "compare.csv", "compare.html"):
        assert (out / name).stat().st_size > 0
    idx = df.set_index(["task", "run"])
    assert math.isnan(idx.loc[("a", "base"), "delta"])
    assert idx.loc[("a", "paired"), "test"] == "McNemar exact"
    assert idx.loc[("a", "other"), "test"] == "Fisher exact"
    assert idx.loc[("a", "paired"), "delta"] == pytest.approx(-0.5)
    assert idx.loc[("a", "paired"), "p_value"] == pytest.approx(2 / 1024)  # 10 discordant, all one way
    assert idx.loc[("c", "base"), "test"] == "" and idx.loc[("c", "other"), "test"] == "missing"
    # Holm over (a, b, suite) per candidate run.
    p = df[df["run"] == "paired"]["p_value"].tolist()
    assert df[df["run"] == "paired"]["p_holm"].tolist() == pytest.approx(stats.holm(p), nan_ok=True)
    # Pooled rows cover the tasks every run has (a and b).
    assert idx.loc[(report.SUITE_ROW, "base"), "successes"] == 28
    csv = pd.read_csv(out / "compare.csv")
    assert len(csv) == len(df) == 3 * 4
    md = (out / "compare.md").read_text()
    assert "| a | unknown | paired | 20 | 40.0% |" in md and "McNemar exact" in md
    assert "present in every run" in md
    html = (out / "compare.html").read_text()
    assert 'id="compare-table"' in html and '<img class="plot"' in html
