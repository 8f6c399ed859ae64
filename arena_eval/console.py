"""The console shows the harness's own lines; the simulator's start-up chatter goes to a log.

Isaac Lab, warp and Newton print about 60 lines per env as it starts (manager tables, solver
timings, renderer banners, CUDA probes), some from C code straight to file descriptors 1 and
2. `simulator_output(log)` points both descriptors at the run's log file for its duration and
keeps a private copy of the terminal's stderr, which `stream()` returns for the harness's
progress bars and messages. `--verbose` (verbose=True) leaves everything on the console.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO, Iterator

_terminal: IO[str] | None = None


def stream() -> IO[str]:
    """Where the harness's own lines go (the terminal's stderr, also while redirected)."""
    return _terminal or sys.stderr


@contextlib.contextmanager
def simulator_output(log_path: Path, verbose: bool = False) -> Iterator[None]:
    global _terminal
    if verbose or _terminal is not None:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    terminal = os.fdopen(os.dup(saved[2]), "w", buffering=1)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        _terminal = terminal
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
            _terminal = None
            terminal.close()
