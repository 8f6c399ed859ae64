"""What every GR00T generation shares: the DiT and its blocks, the per-embodiment layers, the
flow-matching head's layout and sampling, the model base and builds, strict checkpoint
loading, the adapter base, key maps, tokenizers, text transforms, JSON reading, size tables
and the tiny-checkpoint helpers. Nothing here knows a generation; `n1/` and `n1x/` build on it
(the package docstring, `arena_eval/policies/groot/__init__.py`, lists every module)."""
