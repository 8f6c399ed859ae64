#!/usr/bin/env python3
"""Train a small GR00T on a recorded dataset. See `python scripts/train_small.py --help`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena_eval.errors import cli_main  # noqa: E402
from arena_eval.policies.groot import train_main as main  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli_main(main)())
