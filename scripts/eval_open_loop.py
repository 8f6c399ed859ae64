#!/usr/bin/env python3
"""Open-loop evaluation of a policy on a LeRobot v2 dataset. See `python scripts/eval_open_loop.py --help`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena_eval.datasets.open_loop import main  # noqa: E402
from arena_eval.errors import cli_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli_main(main)())
