"""arena_eval.gates."""
