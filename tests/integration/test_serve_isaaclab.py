"""Runs through the policy server against real Isaac Lab, as users run them: the server
(`scripts/serve_policy.py`) and each evaluation (`scripts/evaluate.py`) in their own
processes, talking over loopback ZMQ.

- a run through the server gives the same episodes as the same policy in-process;
- the server killed mid-run: the run stops within the client's timeout, keeps its finished
  episodes, and `--resume` (against a new server) completes it, each episode once, with the
  same results as the uninterrupted run;
- `--resume` against a server that now serves another policy (same horizon) stops with one
  line naming both, exit 2, and writes nothing; against the same policy it completes, equal
  to the in-process run.
"""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from arena_eval.records import EPISODES

ROOT = Path(__file__).resolve().parents[2]
EPISODES_PER_TASK, NUM_ENVS, SEED = 4, 2, 5  # two rounds of two 200-step episodes
TIMEOUT_S, RETRIES = 2.0, 1  # the remote cards' client settings
pytestmark = pytest.mark.isaaclab


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A subprocess whose output lines are collected with their arrival times."""

    def __init__(self, cmd: list[str]):
        self.p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: dict[str, list[tuple[float, str]]] = {"stdout": [], "stderr": []}
        self._q: queue.Queue = queue.Queue()
        self._threads = [threading.Thread(target=self._read, args=(n,), daemon=True) for n in self.lines]
        for t in self._threads:
            t.start()

    def _read(self, name: str) -> None:
        for line in getattr(self.p, name):
            self.lines[name].append((time.monotonic(), line.rstrip("\n")))
            self._q.put((name, line))

    def wait_line(self, text: str, timeout: float) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                _, line = self._q.get(timeout=0.2)
            except queue.Empty:
                assert self.p.poll() is None, f"process ended ({self.p.returncode}) before printing {text!r}:\n{self.text()}"
                continue
            if text in line:
                return line
        raise AssertionError(f"no {text!r} within {timeout} s:\n{self.text()}")

    def wait(self, timeout: float) -> int:
        rc = self.p.wait(timeout=timeout)
        for t in self._threads:
            t.join(5)
        return rc

    def text(self, name: str | None = None) -> str:
        names = [name] if name else list(self.lines)
        return "\n".join(line for n in names for _, line in self.lines[n])[-6000:]

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(10)


def start_server(port: int, policy: str | Path = "scripted") -> Proc:
    srv = Proc([sys.executable, str(ROOT / "scripts" / "serve_policy.py"), "--policy", str(policy), "--suite", "smoke",
                "--task", "cartpole_balance", "--host", "127.0.0.1", "--port", str(port)])
    srv.wait_line("listening on tcp://127.0.0.1:", 60)
    return srv


def remote_card(folder: Path, port: int) -> Path:
    path = folder / f"remote-{port}.yaml"
    path.write_text(
        "name: remote-scripted\ntype: remote\naction_horizon: 1\nn_action_steps: 1\n"
        f"params: {{host: 127.0.0.1, port: {port}, timeout_s: {TIMEOUT_S}, retries: {RETRIES}}}\n"
    )
    return path


def evaluate(out: Path, policy: str | Path, *extra: str) -> Proc:
    return Proc([sys.executable, str(ROOT / "scripts" / "evaluate.py"), "--suite", "smoke", "--policy", str(policy),
                 "--num-envs", str(NUM_ENVS), "--episodes", str(EPISODES_PER_TASK), "--seed", str(SEED),
                 "--out", str(out), "--no-progress", "--videos", "0", *extra])


def episodes(run: Path, drop: tuple[str, ...] = ("timing",)) -> list[dict]:
    recs = [json.loads(line) for line in (run / EPISODES).read_text().splitlines() if line.strip()]
    return sorted(({k: v for k, v in r.items() if k not in drop} for r in recs), key=lambda r: (r["task"], r["episode"]))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The in-process reference and the same run through a server, made side by side."""
    base = tmp_path_factory.mktemp("serve_runs")
    port = free_port()
    srv = start_server(port)
    try:
        ref = evaluate(base / "in-process", "scripted")
        rem = evaluate(base / "remote", remote_card(base, port))
        for name, p in (("in-process", ref), ("remote", rem)):
            rc = p.wait(600)
            assert rc == 0, f"{name} run exit {rc}:\n{p.text()}"
        return {"base": base, "ref": base / "in-process", "remote": base / "remote", "remote_proc": rem}
    finally:
        srv.kill()


def test_run_through_the_server_matches_in_process(runs):
    ref, rem = episodes(runs["ref"]), episodes(runs["remote"])
    assert len(ref) == EPISODES_PER_TASK
    assert rem == ref  # outcome, reason, steps, seed, slot, start state: all equal
    assert "remote policy tcp://127.0.0.1:" in runs["remote_proc"].text("stderr")
    manifest = json.loads((runs["remote"] / "manifest.json").read_text())
    assert manifest["policy"]["type"] == "remote"


def test_server_killed_mid_run_then_resumed(runs, tmp_path):
    port = free_port()
    card = remote_card(tmp_path, port)
    out = tmp_path / "killed"
    srv = start_server(port)
    run = evaluate(out, card)
    try:
        end = time.monotonic() + 300
        while time.monotonic() < end:  # the first round ends; the second is running
            if (out / EPISODES).exists() and len((out / EPISODES).read_text().splitlines()) >= 2:
                break
            assert run.p.poll() is None, f"run ended early:\n{run.text()}"
            time.sleep(0.1)
        else:
            raise AssertionError(f"no finished episode within 300 s:\n{run.text()}")
        srv.p.send_signal(signal.SIGKILL)
        t_kill = time.monotonic()
        srv.wait(10)
        rc = run.wait(120)
        assert rc != 0, run.text()
        stops = [(t, line) for t, line in run.lines["stderr"] if "policy unavailable" in line]
        assert stops, run.text()
        t_stop, line = stops[0]
        assert "no reply from policy server" in line and "continue with --resume" in line
        # the client gives up within its timeout x attempts (plus at most a simulator step)
        assert t_stop - t_kill < TIMEOUT_S * (1 + RETRIES) + 3.0, (t_stop - t_kill, line)
        print(f"run stopped {t_stop - t_kill:.2f} s after the server was killed: {line}")
        kept = episodes(out)
        assert 2 <= len(kept) < EPISODES_PER_TASK
        assert len({r["episode"] for r in kept}) == len(kept)
    finally:
        run.kill()
        srv.kill()

    srv = start_server(port)  # the same card: the run's identity is unchanged
    try:
        resumed = evaluate(out, card, "--resume")
        rc = resumed.wait(600)
        assert rc == 0, resumed.text()
    finally:
        srv.kill()
    lines = (out / EPISODES).read_text().splitlines()
    keys = [(json.loads(x)["task"], json.loads(x)["episode"]) for x in lines]
    assert len(keys) == len(set(keys)) == EPISODES_PER_TASK
    # resumed episodes may run in other slots; everything else equals the uninterrupted run
    assert episodes(out, drop=("timing", "slot")) == episodes(runs["ref"], drop=("timing", "slot"))


def test_no_server_is_a_one_line_user_error(tmp_path):
    out = tmp_path / "nothing"
    run = evaluate(out, remote_card(tmp_path, free_port()))
    rc = run.wait(120)
    assert rc == 2, run.text()
    err = run.text("stderr").strip().splitlines()
    assert err[-1].startswith("error: ") and "no reply from policy server" in err[-1] and "serve_policy.py" in err[-1]
    assert not out.exists()


def test_resume_against_a_server_serving_another_policy(runs, tmp_path):
    import shutil

    port = free_port()
    card = remote_card(tmp_path, port)
    out = tmp_path / "swapped"
    shutil.copytree(runs["remote"], out)
    # The remote run as a kill would leave it: its first two episodes recorded. The card's
    # port differs from the original run's, so the manifest is rewritten to this card's.
    lines = (out / EPISODES).read_text().splitlines(keepends=True)
    (out / EPISODES).write_text("".join(lines[:2]))
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["policy"]["params"]["port"] = port
    (out / "manifest.json").write_text(json.dumps(manifest))
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    other = tmp_path / "random-h1.yaml"  # another policy with the same horizon and keys
    other.write_text("name: random-h1\ntype: random\naction_horizon: 1\nn_action_steps: 1\nseed: 0\n")

    srv = start_server(port, other)
    try:
        run = evaluate(out, card, "--resume")
        rc = run.wait(120)
    finally:
        srv.kill()
    assert rc == 2, run.text()
    err = run.text("stderr").strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "manifest.json: cannot resume" in err[0], err
    assert "policy 'scripted' (type scripted" in err[0] and "policy 'random-h1' (type random" in err[0], err[0]
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before  # nothing written

    srv = start_server(port)  # the run's own policy again
    try:
        resumed = evaluate(out, card, "--resume")
        rc = resumed.wait(600)
        assert rc == 0, resumed.text()
    finally:
        srv.kill()
    assert episodes(out, drop=("timing", "slot")) == episodes(runs["ref"], drop=("timing", "slot"))
