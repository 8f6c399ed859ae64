"""Running an evaluation: the plan and the rollout loop (`runner`), one evaluation from cards to
reports (`evaluate`), episode videos (`media`), Ray shards (`distributed`)."""

from .evaluate import EvalConfig, evaluate
from .runner import PlannedEpisode, Timing, episode_seed, make_plan, run_task, task_env

__all__ = ["EvalConfig", "PlannedEpisode", "Timing", "episode_seed", "evaluate", "make_plan", "run_task", "task_env"]
