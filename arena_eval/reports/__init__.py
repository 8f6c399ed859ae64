"""arena_eval.reports."""
