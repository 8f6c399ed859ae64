"""The environment layer: the batched env protocol and its Isaac Lab adapter."""

from .base import BatchedEnv, StepResult

__all__ = ["BatchedEnv", "StepResult", "make_env", "prestart"]


def make_env(task, num_envs: int | None = None, seed: int = 0, **kwargs) -> BatchedEnv:
    """Create the env a task card asks for. Imports the simulator only when called."""
    if task.env.backend == "isaaclab":
        from .isaaclab import IsaacLabVectorEnv

        return IsaacLabVectorEnv(task, num_envs=num_envs, seed=seed, **kwargs)
    if task.env.backend == "isaaclab_workers":
        from .workers import WorkerVectorEnv

        return WorkerVectorEnv(task, num_envs=num_envs, seed=seed, **kwargs)
    raise ValueError(f"unknown env backend {task.env.backend!r}")


def prestart(task, seed: int = 0) -> bool:
    """Start the env's workers ahead of `make_env(task, seed=seed)` (the worker backend; see
    workers.prestart). Returns whether any were started."""
    if task.env.backend != "isaaclab_workers":
        return False
    from .workers import prestart as start

    return start(task, seed)
