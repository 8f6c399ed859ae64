"""arena_eval.records."""
