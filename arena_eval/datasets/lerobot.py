"""LeRobot v2 datasets in GR00T's flavour: recorded episodes written as GR00T's fine-tuning
reads them, and read back for open-loop evaluation and training.

Layout (LeRobot v2.1 with GR00T's `meta/modality.json`)::

    meta/info.json         fps, features, paths, counts
    meta/episodes.jsonl    {"episode_index", "tasks", "length", + where it came from}
    meta/tasks.jsonl       {"task_index", "task"}
    meta/modality.json     state/action key -> {"start", "end"} of the flat vectors;
                           video key -> {"original_key": "observation.images.<cam>"}
    meta/stats.json        per flat column: mean, std, min, max, q01, q99
    data/chunk-000/episode_000000.parquet   one row per control step
    videos/chunk-000/observation.images.<cam>/episode_000000.mp4

A row holds `observation.state` (the task's state keys concatenated in card order),
`action` (its action keys, likewise: the action taken on that row's observation),
`timestamp`, `frame_index`, `episode_index`, `index`, `task_index`,
`annotation.human.task_description` (a task index), `next.reward` and `next.done`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..cards import ANNOTATION_KEY, TaskSpec
from ..errors import UserError
from ..records import EpisodeRecord

if TYPE_CHECKING:  # the reader is used by policies (replay), which stay clear of the runner
    from ..run import PlannedEpisode

CODEBASE_VERSION = "v2.1"
CHUNK_SIZE = 1000
DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"
ANNOTATION_COLUMN = ANNOTATION_KEY  # "annotation.human.task_description"
STAT_QUANTILES = (0.01, 0.99)


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


class LeRobotWriter:
    """Writes episodes as they come; `close()` writes the meta files (and the stats)."""

    def __init__(self, root: str | Path, *, fps: float, state: dict[str, int], action: dict[str, int],
                 video: dict[str, tuple[int, int, int]], robot_type: str = "arena_eval"):
        self.root = Path(root)
        if self.root.exists() and any(self.root.iterdir()):
            raise UserError("holds files already; choose an empty or new directory", where=str(self.root))
        self.fps = float(fps)
        self.state, self.action, self.video = dict(state), dict(action), dict(video)
        self.robot_type = robot_type
        self.episodes: list[dict[str, Any]] = []
        self.tasks: dict[str, int] = {}
        self.frames = 0

    @staticmethod
    def _layout(keys: dict[str, int]) -> dict[str, dict[str, int]]:
        out, i = {}, 0
        for k, d in keys.items():
            out[k.split(".", 1)[1]] = {"start": i, "end": i + d}
            i += d
        return out

    def add_episode(self, instruction: str, state: dict[str, np.ndarray], action: dict[str, np.ndarray],
                    video: dict[str, np.ndarray], info: dict[str, Any] | None = None) -> int:
        """Append one episode: per key arrays of T rows. Returns its episode_index."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        ep = len(self.episodes)
        lengths = {len(v) for v in (*state.values(), *action.values())}
        if len(lengths) != 1:
            raise ValueError(f"episode arrays disagree in length: {sorted(lengths)}")
        s = np.concatenate([np.asarray(state[k], np.float32).reshape(len(state[k]), -1) for k in self.state], axis=1)
        a = np.concatenate([np.asarray(action[k], np.float32).reshape(len(action[k]), -1) for k in self.action], axis=1)
        t = len(s)
        if len(a) != t or s.shape[1] != sum(self.state.values()) or a.shape[1] != sum(self.action.values()):
            raise ValueError(f"episode arrays disagree: state {s.shape}, action {a.shape}")
        task_index = self.tasks.setdefault(instruction, len(self.tasks))
        done = np.zeros(t, bool)
        done[-1] = True
        table = pa.table({
            "observation.state": pa.array(list(s), type=pa.list_(pa.float32())),
            "action": pa.array(list(a), type=pa.list_(pa.float32())),
            "timestamp": pa.array(np.arange(t, dtype=np.float32) / np.float32(self.fps)),
            "frame_index": pa.array(np.arange(t, dtype=np.int64)),
            "episode_index": pa.array(np.full(t, ep, np.int64)),
            "index": pa.array(np.arange(self.frames, self.frames + t, dtype=np.int64)),
            "task_index": pa.array(np.full(t, task_index, np.int64)),
            ANNOTATION_COLUMN: pa.array(np.full(t, task_index, np.int64)),
            "next.reward": pa.array(np.zeros(t, np.float32)),
            "next.done": pa.array(done),
        })
        path = self.root / DATA_PATH.format(episode_chunk=ep // CHUNK_SIZE, episode_index=ep)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        if self.video:
            import imageio.v2 as imageio

            for key in self.video:
                frames = np.asarray(video[key])
                if len(frames) != t:
                    raise ValueError(f"{key} has {len(frames)} frames for {t} rows")
                vpath = self.root / VIDEO_PATH.format(episode_chunk=ep // CHUNK_SIZE, episode_index=ep,
                                                      video_key=self._video_column(key))
                vpath.parent.mkdir(parents=True, exist_ok=True)
                with imageio.get_writer(vpath, fps=self.fps, codec="libx264", quality=8, macro_block_size=8) as w:
                    for f in frames:
                        w.append_data(f)
        self.episodes.append({"episode_index": ep, "tasks": [instruction], "length": t, **(info or {})})
        self.frames += t
        return ep

    @staticmethod
    def _video_column(key: str) -> str:
        return "observation.images." + key.split(".", 1)[1]

    def close(self) -> None:
        meta = self.root / "meta"
        meta.mkdir(parents=True, exist_ok=True)
        n_state, n_action = sum(self.state.values()), sum(self.action.values())
        features: dict[str, Any] = {
            "observation.state": {"dtype": "float32", "shape": [n_state], "names": _names(self.state)},
            "action": {"dtype": "float32", "shape": [n_action], "names": _names(self.action)},
        }
        for key, shape in self.video.items():
            features[self._video_column(key)] = {
                "dtype": "video", "shape": list(shape), "names": ["height", "width", "channel"],
                "info": {"video.fps": self.fps, "video.codec": "h264", "video.pix_fmt": "yuv420p",
                         "video.height": shape[0], "video.width": shape[1], "video.channels": shape[2]},
            }
        for name, dtype in (("timestamp", "float32"), ("frame_index", "int64"), ("episode_index", "int64"),
                            ("index", "int64"), ("task_index", "int64"), (ANNOTATION_COLUMN, "int64"),
                            ("next.reward", "float32"), ("next.done", "bool")):
            features[name] = {"dtype": dtype, "shape": [1], "names": None}
        n = len(self.episodes)
        info = {
            "codebase_version": CODEBASE_VERSION, "robot_type": self.robot_type, "fps": self.fps,
            "total_episodes": n, "total_frames": self.frames, "total_tasks": len(self.tasks),
            "total_videos": n * len(self.video), "total_chunks": (n + CHUNK_SIZE - 1) // CHUNK_SIZE,
            "chunks_size": CHUNK_SIZE, "splits": {"train": f"0:{n}"}, "data_path": DATA_PATH,
            "video_path": VIDEO_PATH if self.video else None, "features": features,
        }
        (meta / "info.json").write_text(json.dumps(info, indent=2) + "\n")
        _jsonl(meta / "episodes.jsonl", self.episodes)
        _jsonl(meta / "tasks.jsonl", [{"task_index": i, "task": t} for t, i in self.tasks.items()])
        modality = {
            "state": self._layout(self.state),
            "action": self._layout(self.action),
            "video": {k.split(".", 1)[1]: {"original_key": self._video_column(k)} for k in self.video},
            "annotation": {ANNOTATION_KEY.split(".", 1)[1]: {}},
        }
        (meta / "modality.json").write_text(json.dumps(modality, indent=2) + "\n")
        (meta / "stats.json").write_text(json.dumps(compute_stats(self.root), indent=2) + "\n")


def _names(keys: dict[str, int]) -> list[str]:
    return [f"{k.split('.', 1)[1]}.{i}" for k, d in keys.items() for i in range(d)]


def _column(root: Path, name: str) -> np.ndarray:
    import pyarrow.parquet as pq

    parts = [np.stack(pq.read_table(p, columns=[name]).column(name).to_numpy(zero_copy_only=False))
             for p in sorted(root.glob("data/chunk-*/episode_*.parquet"))]
    return np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)


def compute_stats(root: str | Path) -> dict[str, dict[str, list[float]]]:
    """GR00T's stats.json: per flat column of state and action, over every frame."""
    out = {}
    for name in ("observation.state", "action"):
        x = _column(Path(root), name).astype(np.float64)
        if not len(x):
            continue
        q = np.quantile(x, STAT_QUANTILES, axis=0)
        out[name] = {"mean": x.mean(0).tolist(), "std": x.std(0).tolist(), "min": x.min(0).tolist(),
                     "max": x.max(0).tolist(), "q01": q[0].tolist(), "q99": q[1].tolist()}
    return out


class EpisodeTrace:
    """A runner `Trace` that buffers each slot's episode and hands it to a `LeRobotWriter`
    when it ends (all of them, or only successes)."""

    def __init__(self, task: TaskSpec, writer: LeRobotWriter, only_success: bool = False):
        self.task, self.writer, self.only_success = task, writer, only_success
        self.buf: dict[int, dict[str, list[np.ndarray]]] = {}
        self.episode: dict[int, PlannedEpisode] = {}
        self.kept = self.skipped = 0

    def start(self, slot: int, episode: PlannedEpisode) -> None:
        self.buf[slot] = {}
        self.episode[slot] = episode

    def step(self, slots: list[int], obs: dict[str, np.ndarray], action: dict[str, np.ndarray]) -> None:
        for s in slots:
            b = self.buf[s]
            for k in (*self.writer.state, *self.writer.video):
                b.setdefault(k, []).append(np.array(obs[k][s]))
            for k in self.writer.action:
                b.setdefault(k, []).append(np.array(action[k][s]))

    def finish(self, slot: int, record: EpisodeRecord) -> None:
        b = self.buf.pop(slot)
        ep = self.episode.pop(slot)
        if (self.only_success and record.outcome != "success") or not b:
            self.skipped += 1
            return
        st = {k: np.stack(b[k]) for k in self.writer.state}
        ac = {k: np.stack(b[k]) for k in self.writer.action}
        vi = {k: np.stack(b[k]) for k in self.writer.video}
        self.writer.add_episode(self.task.instruction, st, ac, vi, info={
            "arena_eval": {"task": ep.task, "episode": ep.episode, "seed": ep.seed, "outcome": record.outcome,
                           "reason": record.reason}})
        self.kept += 1


class LeRobotDataset:
    """Reads a LeRobot v2 dataset with GR00T's modality.json (ours or anyone's)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        meta = self.root / "meta"
        for name in ("info.json", "modality.json", "episodes.jsonl"):
            if not (meta / name).is_file():
                raise UserError(f"not a LeRobot v2 dataset with GR00T's modality.json (no meta/{name})", where=str(root))
        try:
            self.info = json.loads((meta / "info.json").read_text())
            self.modality = json.loads((meta / "modality.json").read_text())
            self.episodes = [json.loads(x) for x in (meta / "episodes.jsonl").read_text().splitlines() if x.strip()]
            tasks = meta / "tasks.jsonl"
            self.tasks = {int(r["task_index"]): r["task"] for r in
                          (json.loads(x) for x in tasks.read_text().splitlines() if x.strip())} if tasks.is_file() else {}
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise UserError(f"malformed meta file ({e})", where=str(meta))
        self.fps = float(self.info.get("fps", 20))

    def __len__(self) -> int:
        return len(self.episodes)

    def keys(self, kind: str) -> list[str]:
        return [f"{kind}.{k}" for k in self.modality.get(kind, {})]

    def stats(self) -> dict[str, dict[str, list[float]]]:
        """meta/stats.json, or the same computed when the dataset has none."""
        path = self.root / "meta" / "stats.json"
        return json.loads(path.read_text()) if path.is_file() else compute_stats(self.root)

    def constant_actions(self) -> list[str]:
        """Action keys that no episode ever varies (the hands of a robot with no finger joints,
        commands a fixed-base task drops): nothing to learn or to score."""
        flat, out = self.stats()["action"], []
        for key in self.keys("action"):
            sl = self.modality["action"][key.split(".", 1)[1]]
            if np.all(np.asarray(flat["max"][sl["start"]:sl["end"]]) == np.asarray(flat["min"][sl["start"]:sl["end"]])):
                out.append(key)
        return out

    def load(self, i: int, video: bool = True) -> dict[str, Any]:
        """Episode i as {state.<k>: [T, D], action.<k>: [T, D], video.<k>: [T, H, W, 3],
        annotation: instruction}."""
        import pyarrow.parquet as pq

        ep = self.episodes[i]["episode_index"]
        chunk = ep // int(self.info.get("chunks_size", CHUNK_SIZE))
        path = self.root / self.info.get("data_path", DATA_PATH).format(episode_chunk=chunk, episode_index=ep)
        if not path.is_file():
            raise UserError(f"episode {ep}: missing {path.relative_to(self.root)}", where=str(self.root))
        table = pq.read_table(path)
        out: dict[str, Any] = {}
        for kind, column in (("state", "observation.state"), ("action", "action")):
            for key, sl in self.modality.get(kind, {}).items():
                col = sl.get("original_key", column)
                flat = np.stack(table.column(col).to_numpy(zero_copy_only=False)).astype(np.float32)
                out[f"{kind}.{key}"] = flat[:, sl["start"]:sl["end"]]
        if video:
            import imageio.v2 as imageio

            for key, v in self.modality.get("video", {}).items():
                vp = self.root / self.info["video_path"].format(episode_chunk=chunk, episode_index=ep,
                                                                video_key=v.get("original_key", key))
                with imageio.get_reader(vp) as r:
                    out[f"video.{key}"] = np.stack([f for f in r.iter_data()])  # len(r) may be inf
        ti = table.column("task_index").to_numpy()
        out["annotation"] = self.tasks.get(int(ti[0]), self.episodes[i].get("tasks", [""])[0]) if len(ti) else ""
        return out


def dataset_layout(task: TaskSpec, obs_space: Any) -> tuple[dict[str, int], dict[str, int], dict[str, tuple[int, int, int]]]:
    """The state, action and video keys of a task with their widths (from the env's spaces)."""
    state = {k: int(np.prod(obs_space.spaces[k].shape)) for k in task.observations if k.startswith("state.")}
    video = {k: tuple(int(x) for x in obs_space.spaces[k].shape) for k in task.observations if k.startswith("video.")}
    action = {k: a.dim for k, a in task.actions.items()}
    return state, action, video

