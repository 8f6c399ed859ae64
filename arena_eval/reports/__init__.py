"""Rendering only (Markdown, HTML, plots) of what `stats` computes: shared formatting (`format`,
a leaf), one run's report (`run`), comparisons (`compare`), leaderboards (`leaderboard`),
sweeps (`sweep`), published rates (`published`), the sequential gate's evidence (`gate`)."""

from .compare import compare_markdown, compare_runs, write_compare
from .run import render_html, summary_markdown, write_reports

__all__ = ["compare_markdown", "compare_runs", "render_html", "summary_markdown", "write_compare", "write_reports"]
