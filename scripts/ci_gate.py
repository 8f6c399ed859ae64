#!/usr/bin/env python3
"""The CI gate: evaluate the shipped checkpoints and check them against their baselines."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena_eval.errors import cli_main  # noqa: E402
from arena_eval.gates.ci import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli_main(main)())
