"""arena_eval.datasets."""
