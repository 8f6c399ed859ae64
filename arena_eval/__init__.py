"""arena-eval: trustworthy evaluation of robot policies on Isaac Lab task suites."""

import time as _time

__version__ = "0.1.0"
STARTED = _time.time()  # when this process imported arena_eval (a script's first import): start-up is timed from it
