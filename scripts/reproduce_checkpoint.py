#!/usr/bin/env python3
"""Rebuild a shipped checkpoint from its recipe. See `python scripts/reproduce_checkpoint.py --help`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena_eval.datasets.reproduce import main  # noqa: E402
from arena_eval.errors import cli_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli_main(main)())
