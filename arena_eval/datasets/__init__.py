"""LeRobot v2 datasets in GR00T's flavour: writing and reading them (`lerobot`), recording a
policy's episodes (`record`), open-loop evaluation against a dataset (`open_loop`), rebuilding
a shipped checkpoint from its recipe (`reproduce`)."""

from .lerobot import EpisodeTrace, LeRobotDataset, LeRobotWriter, compute_stats, dataset_layout

__all__ = ["EpisodeTrace", "LeRobotDataset", "LeRobotWriter", "compute_stats", "dataset_layout"]
