"""The project's own task families, one folder each (see `arena_eval.registry`): scene and
env cfgs, start-state samplers, scripted experts and the robots they build. Shared helpers
(`common.py`, `kinematics.py`, `playback.py`) sit here, below the families; no family
imports another. Importing a family registers it; `registry.load_families()` imports them.
"""
