"""Episode records and run directories.

A run directory `results/<run>/` holds:

- `manifest.json`: everything needed to repeat the run (resolved cards, plan and seeds,
  versions, git revision, checkpoint hash, device). Written once, before the first episode.
- `episodes.jsonl`: one JSON object per finished episode, appended and flushed (fsync) as
  each episode ends, so a killed run loses at most the episodes that were still running.

- `.lock`: held (an OS file lock) by the one process writing the run, for as long as it runs.

Record fields (`EpisodeRecord`): task, episode, seed, outcome (success | failure | error),
reason (e.g. "time_limit", "term:<name>", "policy:non-finite action", or the error text),
code (the reason's class in the taxonomy of arena_eval/outcomes.py), steps, slot, init_state,
milestones (each task milestone's first step), success_step (the first step the success
condition held, whatever the rule made of it), `timing` (seconds; the only fields allowed to
differ between identical runs), for a derived task of a sweep, `variation` ({axis: level};
absent on the nominal task and in older runs), and `code_hash`, the first 12 hex digits of
the sources' sha256 it was produced under (`code_identity`; stamped by the writer, absent in
older runs).

Which record of an episode counts: the first that is not an `error`; an episode with only
`error` records counts as its last error, and `--resume` runs it again (an error is a fault
of the harness or infrastructure, docs/design.md Rule 3, not an outcome of the policy). Readers
and the writer use the same rule, and the same parse of the file's last line, so what a
resumed run counts as recorded is exactly what it keeps. `load_manifest` and `load_run`
check what they read (`run_checks`: the manifest's shape, each record against the plan, no
episode decided twice with different outcomes), for every reader alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Iterable

from ..errors import UserError
from .checks import check_manifest, check_records

MANIFEST = "manifest.json"
LOCK = ".lock"
EPISODES = "episodes.jsonl"
SEQUENTIAL_DIR = "sequential"  # a sequential decision made in the run (run/sequential.py)
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
    variation: dict[str, str] = dataclasses.field(default_factory=dict)  # {axis: level}; absent = nominal
    code: str = ""  # why it ended (arena_eval/outcomes.py); "" in runs older than the codes
    milestones: dict[str, int] = dataclasses.field(default_factory=dict)  # milestone -> step first met
    success_step: int | None = None  # step at which the success condition first held (None: never)
    code_hash: str = ""  # the sources' sha256 (first 12 hex digits) it was produced under; absent in older runs

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")

    @property
    def key(self) -> tuple[str, int]:
        return (self.task, self.episode)

    def to_json(self) -> str:
        d = dataclasses.asdict(self)
        if not d["variation"]:  # nominal: records read as before (older runs have no such field)
            del d["variation"]
        if not d["code_hash"]:
            del d["code_hash"]
        return json.dumps(d, sort_keys=True, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "EpisodeRecord":
        names = {f.name for f in dataclasses.fields(cls)}
        for k, typ in (("task", str), ("episode", int), ("seed", int), ("code_hash", str)):
            v = d.get(k, "")
            if not isinstance(v, typ) or isinstance(v, bool):
                raise TypeError(f"field {k!r}: expected {typ.__name__}, got {v!r}")
        return cls(**{k: v for k, v in d.items() if k in names})


def _parse(path: Path, data: bytes) -> tuple[list[tuple[int, EpisodeRecord]], int]:
    """The records in episodes.jsonl's bytes with their line numbers, and how many bytes
    they occupy.

    A last line without its newline is kept when it is a whole, valid record (the write
    completed but for the newline) and dropped otherwise (a write cut short by a kill: a
    JSON object cut anywhere else is not valid JSON). A bad line elsewhere means the file
    was edited and is an error."""
    lines = data.split(b"\n")
    out: list[tuple[int, EpisodeRecord]] = []
    for i, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            out.append((i + 1, EpisodeRecord.from_dict(json.loads(raw))))
        except (json.JSONDecodeError, TypeError, ValueError) as e:
            if i == len(lines) - 1:  # unterminated final line: a write cut short by a kill
                return out, len(data) - len(raw)
            raise UserError(f"line {i + 1} is not a valid episode record ({e})", where=str(path))
    return out, len(data)


def _read_numbered(path: Path) -> list[tuple[int, EpisodeRecord]]:
    return _parse(path, path.read_bytes())[0] if path.exists() else []


def read_records(path: str | Path) -> list[EpisodeRecord]:
    """Read episodes.jsonl (every record, in file order; see `dedupe` for which count).
    Unchecked against the plan: readers of a run use `load_run`."""
    return [r for _, r in _read_numbered(Path(path))]


def load_manifest(run_dir: str | Path) -> dict[str, Any]:
    """The run's manifest.json, its shape checked (`run_checks.check_manifest`)."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise UserError("not a run directory (no manifest.json)", where=str(run_dir))
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise UserError(f"manifest.json is not valid JSON ({e})", where=str(run_dir))
    return check_manifest(manifest, path)


def read_decision(run_dir: str | Path) -> dict[str, Any] | None:
    """The sequential decision a run made against its baseline (`evaluate.py --against
    --sequential`: `sequential/decision.json`), or None."""
    path = Path(run_dir) / SEQUENTIAL_DIR / "decision.json"
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise UserError(f"not valid JSON ({e})", where=str(path))
    if not isinstance(d, dict) or not {"baseline", "design", "exit_code", "verdict"} <= set(d):
        raise UserError("expected an object with baseline, design, exit_code and verdict", where=str(path))
    return d


def load_run(run_dir: str | Path) -> tuple[dict[str, Any], list[EpisodeRecord]]:
    """Manifest and records of a run, one record per (task, episode), every record checked
    against the manifest's plan (`run_checks.check_records`). The one reader of runs."""
    manifest = load_manifest(run_dir)
    path = Path(run_dir) / EPISODES
    numbered = _read_numbered(path)
    check_records(numbered, manifest, path)
    return manifest, dedupe(r for _, r in numbered)


def dedupe(records: Iterable[EpisodeRecord]) -> list[EpisodeRecord]:
    """One record per (task, episode), in the order episodes were first recorded: the first
    record that is not an error, or, for an episode with errors only, its last error."""
    chosen: dict[tuple[str, int], EpisodeRecord] = {}
    for r in records:
        old = chosen.get(r.key)
        if old is None or old.outcome == "error":
            chosen[r.key] = r
    return list(chosen.values())


def finished(records: Iterable[EpisodeRecord]) -> set[tuple[str, int]]:
    """Episodes that need no further run: those with a record that is not an error."""
    return {r.key for r in records if r.outcome != "error"}


class RunWriter:
    """Appends records to a run directory, durably and without duplicates: an episode that
    has a non-error record takes no other; one with only errors may be recorded again.
    `code_hash` (the sources' sha256 stamp, see `code_identity`) is written into every record
    that does not carry one."""

    def __init__(self, run_dir: str | Path, code_hash: str = ""):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / EPISODES
        self.code_hash = code_hash
        records = self._repair_tail()
        self.done: set[tuple[str, int]] = finished(records)
        self._fh = open(self.path, "a", encoding="utf-8")

    def _repair_tail(self) -> list[EpisodeRecord]:
        # Make the file end on a newline after its last kept record (`_parse` decides which
        # are kept, as for every reader), so the next append starts on a fresh line.
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        numbered, end = _parse(self.path, data)
        with open(self.path, "r+b") as fh:
            fh.truncate(end)
            if end and not data[:end].endswith(b"\n"):
                fh.seek(end)
                fh.write(b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        return [r for _, r in numbered]

    def append(self, record: EpisodeRecord) -> bool:
        """Write one record; returns False (and writes nothing) if it was already recorded."""
        if record.key in self.done:
            return False
        if self.code_hash and not record.code_hash:
            record = dataclasses.replace(record, code_hash=self.code_hash)
        self._fh.write(record.to_json() + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        if record.outcome != "error":
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


class RunLock:
    """Exclusive ownership of a run directory, taken before anything is written in it.

    An OS file lock (`flock`) on `<run>/.lock`, which holds the holder's pid, host, start
    time and command for the message a second writer gets. The kernel drops the lock when
    its process dies, so a killed run's lock is stale by construction and the next run takes
    it over. Every check of the path happens here, before the simulator starts, and a failed
    check leaves nothing behind: directories this lock created are removed by `release(
    remove=True)`.
    """

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK
        self.created: Path | None = None  # the topmost directory this lock created
        self._fh: Any = None

    def _make_dirs(self) -> None:
        d = self.run_dir.absolute()
        missing = [p for p in [d, *d.parents] if not p.exists()]
        for p in [d, *d.parents]:
            if p.exists() and not p.is_dir():
                what = "the run directory" if p == d else "a parent of the run directory"
                raise UserError(f"{what} {p} is a file, not a directory; choose another --out", where=str(self.run_dir))
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(f"cannot create the run directory ({e.strerror or e}); choose another --out",
                            where=str(self.run_dir)) from None
        self.created = missing[-1] if missing else None

    def acquire(self) -> "RunLock":
        self._make_dirs()
        try:
            fh = open(self.path, "a+", encoding="utf-8")
        except OSError as e:
            self.release(remove=True)
            why = "it is read-only" if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM) else (e.strerror or str(e))
            raise UserError(f"cannot write in the run directory ({why}); choose another --out", where=str(self.run_dir)) from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # The holder writes who it is just after taking the lock: give it a moment.
            holder = ""
            for _ in range(20):
                fh.seek(0)
                holder = fh.read().strip()
                if holder:
                    break
                time.sleep(0.05)
            fh.close()
            holder = holder or "another process"
            raise UserError(f"is in use by another run ({holder}); wait for it to end or choose another --out",
                            where=str(self.run_dir)) from None
        # The file we locked must still be the one at the path (a releasing holder unlinks it).
        if os.fstat(fh.fileno()).st_ino != getattr(_stat(self.path), "st_ino", None):
            fh.close()
            return self.acquire()
        fh.seek(0)
        fh.truncate()
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}, started {started}")
        fh.flush()
        os.fsync(fh.fileno())
        self._fh = fh
        return self

    def release(self, remove: bool = False) -> None:
        """Give the directory up; `remove` also deletes what this lock created (a run that
        stopped before recording anything)."""
        if self._fh is not None:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
        if remove and self.created is not None:
            import shutil

            shutil.rmtree(self.created, ignore_errors=True)
            self.created = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
