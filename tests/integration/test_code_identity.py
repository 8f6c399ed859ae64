"""The code identity of a run (arena_eval.records.code_identity): what it hashes, with and without
git, and `--resume` after a real change to a tracked file in a copy of the repository:
refused (exit 2, one line, nothing written) when committed and when not, and continued with
`--allow-code-change`, which records the change and marks the summary (issue 28).

The refusal on a manifest whose recorded code was edited, without the simulator, is in
test_run_integrity.py; this module's one real evaluation is the end-to-end check.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_runs import make_run

from arena_eval.errors import UserError
from arena_eval.records import EPISODES, MANIFEST, EpisodeRecord
from arena_eval.records import code_identity as ci
from arena_eval.reports import summary_markdown
from arena_eval.stats import summarize

ROOT = Path(__file__).resolve().parents[2]
EXPERT = "arena_eval/envs/tasks/cartpole/expert.py"


def _code(sha: str, rev: str = "a" * 40, dirty: bool = False) -> dict:
    return {"revision": rev, "dirty": dirty, "sha256": sha, "files": {EXPERT: sha[:16]}}


def test_the_sources_decide_not_the_revision():
    """A README-only commit (another revision, the same sources) resumes; other sources do
    not, unless allowed, which the caller records."""
    run = {"code": _code("1" * 64), "invocations": [{"code": _code("1" * 64)}]}
    assert ci.check_resume(run, _code("1" * 64, rev="b" * 40), allow=False, where="m") is False
    with pytest.raises(UserError, match=r"m: cannot resume: .* revision aaaaaaaaaaaa \(sources sha256 111111111111\), "
                                        r"but this is revision bbbbbbbbbbbb with uncommitted changes .*changed: "
                                        + EXPERT):
        ci.check_resume(run, _code("2" * 64, rev="b" * 40, dirty=True), allow=False, where="m")
    assert ci.check_resume(run, _code("2" * 64), allow=True, where="m") is True
    # After an allowed change the run continues under its latest code, and is compared with it.
    run["invocations"].append(ci.invocation(_code("2" * 64), resume=True, changed=True))
    assert ci.latest_code(run)["sha256"] == "2" * 64 and ci.check_resume(run, _code("2" * 64), False, "m") is False
    with pytest.raises(UserError, match="code that was not recorded"):  # a run of an older arena-eval
        ci.check_resume({}, _code("1" * 64), allow=False, where="m")


def test_the_summary_says_which_episodes_came_from_which_code(tmp_path):
    run = make_run(tmp_path, "run", {"a": "SSFS"})
    m = json.loads((run / MANIFEST).read_text())
    old, new = _code("1" * 64), _code("2" * 64, dirty=True)
    m.update(code=old, invocations=[ci.invocation(old, False), ci.invocation(new, True, changed=True)])
    (run / MANIFEST).write_text(json.dumps(m))
    recs = [EpisodeRecord.from_dict(json.loads(line)) for line in (run / EPISODES).read_text().splitlines()]
    stamped = [dataclasses.replace(r, code_hash=("1" if r.episode < 3 else "2") * 12) for r in recs]
    (run / EPISODES).write_text("".join(r.to_json() + "\n" for r in stamped))
    s = summarize(run)
    assert s["code_identity"]["changed"] and [c["episodes"] for c in s["code_identity"]["by_code"]] == [3, 1]
    md = summary_markdown(s)
    assert ("code changed during the run (resumed with --allow-code-change): 3 episodes from revision aaaaaaaaaaaa "
            "(sources sha256 111111111111), 1 from revision aaaaaaaaaaaa with uncommitted changes") in md
    plain = make_run(tmp_path, "plain", {"a": "SSFS"})  # one code (or none recorded): nothing to mark
    assert not summarize(plain)["code_identity"]["changed"] and "code changed" not in summary_markdown(summarize(plain))


# -- end to end, in a copy of the repository


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


def _py(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    return subprocess.run([sys.executable, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def _sha(repo: Path) -> str:
    p = _py(repo, "-c", "from arena_eval.records.code_identity import code_identity; "
            "print(code_identity()['sha256'])")
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def _files(run: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    """This tree's code (committed or not) as the one commit of a fresh git repository."""
    repo = tmp_path_factory.mktemp("clone") / "repo"
    for d in ("arena_eval", "scripts", "tasks", "policies"):
        shutil.copytree(ROOT / d, repo / d, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", repo)
    (repo / ".gitignore").write_text("__pycache__/\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "the tree under test")
    return repo


def test_resume_after_a_real_code_change(repo: Path, tmp_path: Path):
    run = tmp_path / "run"
    evaluate = ["scripts/evaluate.py", "--suite", "smoke", "--policy", "scripted", "--seed", "0", "--out", str(run),
                "--no-progress", "--videos", "0"]
    p = _py(repo, *evaluate, "--episodes", "4")
    assert p.returncode == 0, p.stderr[-3000:]
    first = json.loads((run / MANIFEST).read_text())["code"]
    rev1 = _git(repo, "rev-parse", "HEAD")
    assert (first["revision"], first["dirty"], first["sha256"]) == (rev1, False, _sha(repo))
    plain = tmp_path / "plain"  # a copy without .git hashes the same sources the same
    shutil.copytree(repo, plain, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    assert _sha(plain) == first["sha256"]

    expert = repo / EXPERT
    source = expert.read_text()
    broken = source.replace("u = np.clip(u, -1.0, 1.0)", "u = 0.0 * np.clip(u, -1.0, 1.0)")  # actions x 0
    assert broken != source
    before = _files(run)

    def refused(*fragments: str) -> None:
        p = _py(repo, *evaluate, "--episodes", "6", "--resume")
        lines = p.stderr.strip().splitlines()
        assert p.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), p.stderr[-3000:]
        for f in (f"{run}/manifest.json: cannot resume: the run's episodes came from revision {rev1[:12]} (sources "
                  f"sha256 {first['sha256'][:12]})", f"changed: {EXPERT}", "--allow-code-change", *fragments):
            assert f in lines[0], lines[0]
        assert _files(run) == before and sorted(x.name for x in run.iterdir()) == sorted(before)

    expert.write_text(broken)  # committed
    _git(repo, "commit", "-q", "-am", "cartpole expert: actions x 0")
    rev2 = _git(repo, "rev-parse", "HEAD")
    refused(f"but this is revision {rev2[:12]} (sources sha256 ")
    _git(repo, "reset", "-q", "--hard", rev1)
    expert.write_text(broken)  # uncommitted
    refused(f"but this is revision {rev1[:12]} with uncommitted changes")

    p = _py(repo, *evaluate, "--episodes", "6", "--resume", "--allow-code-change")
    assert p.returncode == 0, p.stderr[-3000:]
    m = json.loads((run / MANIFEST).read_text())
    second = m["invocations"][-1]
    assert len(m["invocations"]) == 2 and second["code_change_allowed"] and second["code"]["dirty"]
    assert second["code"]["sha256"] != first["sha256"] and second["code"]["files"][EXPERT] != first["files"][EXPERT]
    stamps = [json.loads(line)["code_hash"] for line in (run / EPISODES).read_text().splitlines()]
    assert stamps == [first["sha256"][:12]] * 4 + [second["code"]["sha256"][:12]] * 2
    s = json.loads((run / "summary.json").read_text())
    assert s["code_identity"]["changed"] and [c["episodes"] for c in s["code_identity"]["by_code"]] == [4, 2]
    assert "code changed during the run" in (run / "summary.md").read_text() and "code changed" in p.stdout
