"""Episode records and run directories.

A run directory `results/<run>/` holds:

- `manifest.json`: everything needed to repeat the run (resolved cards, plan and seeds,
  versions, git revision, checkpoint hash, device). Written once, before the first episode.
- `episodes.jsonl`: one JSON object per finished episode, appended and flushed (fsync) as
  each episode ends, so a killed run loses at most the episodes that were still running.

Record fields (`EpisodeRecord`): task, episode, seed, outcome (success | failure | error),
reason (e.g. "time_limit", "term:<name>", or the error text), steps, slot, init_state and
`timing` (seconds; the only fields allowed to differ between identical runs).
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Iterable

from .errors import UserError

MANIFEST = "manifest.json"
EPISODES = "episodes.jsonl"
OUTCOMES = ("success", "failure", "error")


@dataclasses.dataclass
class EpisodeRecord:
    task: str
    episode: int
    seed: int
    outcome: str
    reason: str
    steps: int
    slot: int = -1
    init_state: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    timing: dict[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")

    @property
    def key(self) -> tuple[str, int]:
        return (self.task, self.episode)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "EpisodeRecord":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def read_records(path: str | Path) -> list[EpisodeRecord]:
    """Read episodes.jsonl. A torn last line (the process was killed mid-write) is ignored;
    a torn line elsewhere means the file was edited and is an error."""
    path = Path(path)
    if not path.exists():
        return []
    lines = path.read_bytes().split(b"\n")
    out: list[EpisodeRecord] = []
    for i, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            out.append(EpisodeRecord.from_dict(json.loads(raw)))
        except (json.JSONDecodeError, TypeError, ValueError) as e:
            if i == len(lines) - 1:  # unterminated final line: a write cut short by a kill
                break
            raise UserError(f"line {i + 1} is not a valid episode record ({e})", where=str(path))
    return out


def load_manifest(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise UserError("not a run directory (no manifest.json)", where=str(run_dir))
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise UserError(f"manifest.json is not valid JSON ({e})", where=str(run_dir))


def load_run(run_dir: str | Path) -> tuple[dict[str, Any], list[EpisodeRecord]]:
    """Manifest and records of a run, one record per (task, episode)."""
    manifest = load_manifest(run_dir)
    records = dedupe(read_records(Path(run_dir) / EPISODES))
    return manifest, records


def dedupe(records: Iterable[EpisodeRecord]) -> list[EpisodeRecord]:
    """Keep the first record of each (task, episode); later copies are ignored."""
    seen: set[tuple[str, int]] = set()
    out = []
    for r in records:
        if r.key not in seen:
            seen.add(r.key)
            out.append(r)
    return out


class RunWriter:
    """Appends records to a run directory, durably and without duplicates."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / EPISODES
        self._repair_tail()
        self.done: set[tuple[str, int]] = {r.key for r in read_records(self.path)}
        self._fh = open(self.path, "a", encoding="utf-8")

    def _repair_tail(self) -> None:
        # Cut a torn final line so the next append starts on a fresh line.
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(self.path, "r+b") as fh:
                fh.truncate(cut)

    def append(self, record: EpisodeRecord) -> bool:
        """Write one record; returns False (and writes nothing) if it was already recorded."""
        if record.key in self.done:
            return False
        self._fh.write(record.to_json() + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self.done.add(record.key)
        return True

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half a file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, path)
