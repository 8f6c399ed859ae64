"""arena_eval.stats."""
