#!/usr/bin/env python3
"""Evaluate a policy on a task suite. See `python scripts/evaluate.py --help`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena_eval.errors import cli_main  # noqa: E402
from arena_eval.run.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli_main(main)())
