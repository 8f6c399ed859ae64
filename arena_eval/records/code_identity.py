"""Which code produced a run's episodes, so that `--resume` never mixes two programs' episodes.

An episode's outcome is a function of its seed *and of the code*: a run resumed after a
change to an expert, an env or the runner would count episodes of two programs in one rate
(issue 28: 4 episodes of the old cartpole expert and 2 of a broken one, printed as 50%). The
run's identity (`manifest.run_identity`) covers the cards and the checkpoint but not the code,
so the code has its own identity here:

- `sha256`: the content of every `*.py` under `arena_eval/` that git does not ignore (every
  one of them in a copy of the tree without `.git`), each by its repository-relative path and
  the sha256 of its bytes (`fingerprint.digest_of_digests`). It is the comparison: a commit
  that touches only the README, or a checkout of another revision with the same sources,
  changes nothing. Files outside `arena_eval/` (scripts, tests, docs, results) are not hashed:
  the scripts are thin wrappers around it. The cards are not hashed either: the run identity
  holds their parsed content, and their files' names and bytes vary where the content that
  matters does not (a remote policy card written per server port, a card in a temp dir), so
  two runs of the same code carry the same stamp whatever card files they read.
- `revision` and `dirty` (git, as `git_info` reports them): what a person needs to find the
  code again; they name the code in messages and reports, and are never compared.
- `files`: each hashed file's digest (first 16 hex digits), so a refusal can say which files
  changed.

The manifest keeps the start's identity under `code` and one entry per invocation that wrote
episodes under `invocations`; each record carries the first 12 hex digits of the sha256 it
was produced under (`EpisodeRecord.code_hash`), so a run continued with `--allow-code-change`
says exactly which episodes came from which code (`code_summary`, shown by the reports).
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any, Iterable

from ..cards import REPO_ROOT
from ..errors import UserError
from .fingerprint import digest_of_digests, file_digest

SOURCE_DIR = "arena_eval"
STAMP = 12  # hex digits of the sha256 a record carries


def _git(*args: str) -> str | None:
    """git's stdout in the clone, or None without git or outside a git tree."""
    try:
        p = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return p.stdout if p.returncode == 0 else None


def git_info(own: Path | None = None) -> dict[str, Any]:
    """The clone's revision and whether it has changes; `own` (the run's own output directory,
    e.g. a new baseline under results/baselines/) does not count as a change."""
    spec: list[str] = []
    if own is not None:
        try:
            spec = ["--", ".", f":(exclude){Path(own).resolve().relative_to(REPO_ROOT.resolve())}"]
        except ValueError:  # outside the clone
            pass
    rev, status = _git("rev-parse", "HEAD"), _git("status", "--porcelain", *spec)
    if rev is None or status is None:
        return {"revision": None, "dirty": None}
    return {"revision": rev.strip() or None, "dirty": bool(status.strip())}


def source_files() -> list[str]:
    """Repository-relative paths of the hashed sources: the `*.py` files under arena_eval/
    that git does not ignore (tracked or not: a new module is code too), or, without git,
    every one on disk but caches."""
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", SOURCE_DIR)
    if listed is not None:
        names = [n for n in listed.split("\0") if n]
    else:
        names = [p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / SOURCE_DIR).rglob("*.py")
                 if "__pycache__" not in p.parts]
    return sorted({n for n in names if n.endswith(".py") and (REPO_ROOT / n).is_file()})  # a deleted file is gone


def code_identity(own: Path | None = None) -> dict[str, Any]:
    """{revision, dirty, sha256, files} of the code now (see the module docstring)."""
    digests = {n: file_digest(REPO_ROOT / n) for n in source_files()}
    return {**git_info(own), "sha256": digest_of_digests(digests), "files": {k: v[:16] for k, v in digests.items()}}


def invocation(code: dict[str, Any], resume: bool, changed: bool = False) -> dict[str, Any]:
    """A manifest `invocations` entry: when, and under which code, an invocation wrote
    episodes. One that continued under other code (`--allow-code-change`) keeps the files'
    digests too, so a later change can be named against it."""
    keep = ("revision", "dirty", "sha256", "files") if changed else ("revision", "dirty", "sha256")
    entry: dict[str, Any] = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "resume": resume,
                             "code": {k: code.get(k) for k in keep}}
    if changed:
        entry["code_change_allowed"] = True
    return entry


def latest_code(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The code the run's latest episodes came from (None for a run made before arena-eval
    recorded it)."""
    ref = manifest.get("code") if isinstance(manifest.get("code"), dict) else None
    for inv in manifest.get("invocations") or []:
        c = inv.get("code") if isinstance(inv, dict) else None
        if isinstance(c, dict) and (ref is None or c.get("sha256") != ref.get("sha256")):
            ref = c
    return ref


def describe(code: dict[str, Any] | None) -> str:
    if not code:
        return "code that was not recorded (a run of an older arena-eval)"
    rev = str(code.get("revision") or "unknown")[:12]
    state = " with uncommitted changes" if code.get("dirty") else ""
    return f"revision {rev}{state} (sources sha256 {str(code.get('sha256'))[:STAMP]})"


def _changed_files(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    a, b = (old or {}).get("files"), new.get("files") or {}
    if not isinstance(a, dict):
        return ""
    names = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
    if not names:
        return ""
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return f"; changed: {', '.join(names[:3])}{more}"


def check_resume(manifest: dict[str, Any], now: dict[str, Any], allow: bool, where: str) -> bool:
    """May a run recorded under `manifest` be continued by the code `now`? Same sources: yes
    (returns False). Other sources: a UserError naming both, unless `allow` (returns True:
    the caller records the change)."""
    old = latest_code(manifest)
    if old is not None and old.get("sha256") == now.get("sha256"):
        return False
    if not allow:
        raise UserError(f"cannot resume: the run's episodes came from {describe(old)}, but this is {describe(now)}"
                        f"{_changed_files(old, now)}; resume with the run's code, or pass --allow-code-change "
                        "to continue it anyway (the summary then marks which episodes came from which code)",
                        where=where)
    return True


def code_summary(manifest: dict[str, Any], records: Iterable[Any]) -> dict[str, Any]:
    """Whether the code changed during the run, and how many of the counted episodes came
    from each code (by the records' stamps; "unrecorded" for records without one)."""
    codes: list[dict[str, Any]] = []
    for c in [manifest.get("code"), *((i or {}).get("code") for i in manifest.get("invocations") or [])]:
        if isinstance(c, dict) and c.get("sha256") and all(c["sha256"] != x["sha256"] for x in codes):
            codes.append(c)
    counts: dict[str, int] = {}
    for r in records:
        stamp = getattr(r, "code_hash", "") or ""
        counts[stamp] = counts.get(stamp, 0) + 1
    by_code = [{"sha256": c["sha256"], "revision": c.get("revision"), "dirty": c.get("dirty"),
                "episodes": counts.pop(str(c["sha256"])[:STAMP], 0)} for c in codes]
    by_code += [{"sha256": s or None, "revision": None, "dirty": None, "episodes": n} for s, n in counts.items()]
    return {"changed": len(codes) > 1 or len(by_code) > max(1, len(codes)), "by_code": by_code}


def code_change_text(code: dict[str, Any]) -> str:
    """The reports' line for a run whose code changed, e.g. "code changed during the run: 4
    episodes from revision 62951a5c05a9 (sources sha256 ...), 2 from ..."."""
    parts = []
    for i, c in enumerate(code["by_code"]):
        what = describe(c) if c.get("sha256") else "code that was not recorded"
        parts.append(f"{c['episodes']} episode{'s' if c['episodes'] != 1 else ''} from {what}" if i == 0
                     else f"{c['episodes']} from {what}")
    return "code changed during the run (resumed with --allow-code-change): " + ", ".join(parts)
