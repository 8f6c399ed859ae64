"""arena_eval.run."""
