"""User-facing errors.

A `UserError` is a mistake the user can fix (bad card, wrong path, key or shape mismatch).
The command-line tools print it as one line and exit with code 2; everything else is a bug
or a fault and keeps its traceback.
"""

from __future__ import annotations

import functools
import sys
from typing import Callable


class UserError(Exception):
    """A mistake in the user's input. The message is one line naming what and where."""

    def __init__(self, message: str, *, where: str | None = None, field: str | None = None):
        parts = [p for p in (where, field) if p]
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class RunStopped(RuntimeError):
    """The run cannot go on (the simulator failed, the policy server is gone). Finished
    episodes are kept; `--resume` continues. Scripts print one line and exit with code 1."""


EXIT_USER_ERROR = 2
EXIT_RUN_STOPPED = 1


def cli_main(fn: Callable[..., int | None]) -> Callable[..., int]:
    """Wrap a script's main so a UserError becomes one line on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs) -> int:
        try:
            code = fn(*args, **kwargs)
        except UserError as e:
            print(f"error: {e}", file=sys.stderr, flush=True)
            return EXIT_USER_ERROR
        except RunStopped as e:
            print(f"stopped: {e}", file=sys.stderr, flush=True)
            return EXIT_RUN_STOPPED
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr, flush=True)
            return 130
        return int(code or 0)

    return wrapper


class SimulatorError(RunStopped):
    """The simulator failed in a way that ends the task (the episodes running are recorded)."""


class PolicyUnavailable(RunStopped):
    """The policy can serve no more (e.g. its server is gone): the run stops; the episodes
    running are not recorded, so --resume runs them again."""
