"""arena-eval: trustworthy evaluation of robot policies on Isaac Lab task suites."""

__version__ = "0.1.0"
