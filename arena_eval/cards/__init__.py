"""arena_eval.cards."""
