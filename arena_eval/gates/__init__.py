"""Regression gates on run directories: the fixed-size gate (`fixed`, scripts/check_regression.py),
the sequential anytime-valid gate (`sequential`, --sequential) and the CI gate over the shipped
checkpoints (`ci`, results/baselines/gate.yaml)."""

from .fixed import check_regression
from .sequential import check_sequential, recorded_decision

__all__ = ["check_regression", "check_sequential", "recorded_decision"]
