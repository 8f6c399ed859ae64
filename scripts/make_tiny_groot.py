#!/usr/bin/env python3
"""Write a tiny random GR00T checkpoint in the real layout, with its processor directory and a
policy card. See `python scripts/make_tiny_groot.py --help`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arena_eval.errors import cli_main  # noqa: E402
from arena_eval.policies.groot import make_tiny_main as main  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli_main(main)())
