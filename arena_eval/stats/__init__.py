"""Numbers from records, no rendering: rates, intervals, tests and power (`rates`), a run's
summary (`summary`), comparing runs (`compare`), the sequential test (`sequential`),
leaderboards (`leaderboard`), published rates (`published`), robustness sweeps (`sweep`)."""

from . import rates, sequential
from .compare import compare_suite, compare_table, compare_task_runs
from .summary import SUITE_ROW, json_clean, summarize, summarize_loaded, summary_frame
from .sweep import sweep_frame

__all__ = [
    "SUITE_ROW", "compare_suite", "compare_table", "compare_task_runs", "json_clean", "rates", "sequential",
    "summarize", "summarize_loaded", "summary_frame", "sweep_frame",
]
