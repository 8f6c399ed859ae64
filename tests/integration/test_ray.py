"""`--ray` against a real local Ray cluster (2 CPUs) and real Isaac Lab, on the smoke suite:
the per-episode records equal those of the local run with the same seeds, a worker killed
mid-shard ends in a complete, duplicate-free record set, and --resume finishes a local run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers_isaaclab import EPISODES_PER_TASK, checked, evaluate

from arena_eval.records import EPISODES, MANIFEST

pytestmark = pytest.mark.isaaclab
RAY = ("--ray", "local", "--ray-cpus", "2")


def comparable(run: Path) -> dict[int, dict]:
    """Records by episode, without what may differ between identical runs (timing) and what
    depends on where an episode ran (its env slot)."""
    lines = (run / EPISODES).read_text().splitlines()
    recs = [json.loads(x) for x in lines]
    by_ep = {r["episode"]: r for r in recs}
    assert len(by_ep) == len(recs), "a (task, episode) recorded twice"
    for r in recs:
        r.pop("timing"), r.pop("slot")
    return by_ep


def ray_info(run: Path) -> list[dict]:
    return json.loads((run / MANIFEST).read_text())["ray"]


def shard_workers() -> list[int]:
    """PIDs of Ray workers running a shard (Ray titles them after the task's name)."""
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "cmdline").read_bytes().startswith(b"ray::shard:"):
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


def test_ray_run_gives_the_local_runs_episodes(runs, tmp_path):
    # random: episode lengths differ, so equal steps mean the same physics ran.
    local = runs.random4()
    out = tmp_path / "ray"
    checked(evaluate(out, "random", 4, *RAY, "--shard-size", "3", "--videos", "0"))
    assert comparable(out) == comparable(local)
    info = ray_info(out)
    assert info[0]["shards"] == 3 and info[0]["attempts"] == 3 and not info[0]["failures"]
    assert json.loads((out / "summary.json").read_text())["tasks"] == json.loads((local / "summary.json").read_text())["tasks"]


def test_killing_workers_mid_shard_still_records_every_episode_once(runs, tmp_path):
    local = runs.scripted4()  # cartpole's physics does not depend on num_envs (see test_isaaclab_smoke)
    out = tmp_path / "ray"
    killed: list[int] = []

    def kill_after_first_record():
        deadline = time.time() + 600
        while time.time() < deadline:
            f = out / EPISODES
            n = len(f.read_text().splitlines()) if f.exists() else 0
            if 0 < n < EPISODES_PER_TASK:
                for pid in shard_workers():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            time.sleep(0.05)

    # 2 shards of 4 episodes on 2 env slots: each shard runs two rounds of 200 steps, and the
    # kill lands after the first round's records, while the second round runs.
    t = threading.Thread(target=kill_after_first_record, daemon=True)
    t.start()
    proc = checked(evaluate(out, "scripted", 2, *RAY, "--shard-size", "4", "--videos", "0"))
    t.join(5)
    assert killed, "no shard worker was found to kill"
    info = ray_info(out)[0]
    assert info["failures"] and info["attempts"] > info["shards"] == 2, info
    assert "retrying" in proc.stderr
    assert comparable(out) == comparable(local)  # complete, each episode once, same outcomes


@pytest.fixture
def ray_head(tmp_path, monkeypatch):
    """An existing cluster, started as the README says (`ray start --head`), with Ray's
    token authentication on (RAY_AUTH_MODE=token for the head and the driver)."""
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    ray = str(Path(sys.executable).parent / "ray")
    port = 26379 + os.getpid() % 1000
    start = subprocess.run([ray, "start", "--head", "--port", str(port), "--num-cpus", "2", "--include-dashboard=false",
                            "--disable-usage-stats"], capture_output=True, text=True, timeout=180)
    assert start.returncode == 0, start.stdout + start.stderr
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)


def test_resume_on_an_existing_cluster_completes_a_local_run(runs, tmp_path, ray_head, monkeypatch):
    # `--ray auto` finds the cluster through RAY_ADDRESS, as on a node of the cluster.
    monkeypatch.setenv("RAY_ADDRESS", ray_head)
    out = tmp_path / "resumed"
    shutil.copytree(runs.random4(), out)
    lines = (out / EPISODES).read_text().splitlines(keepends=True)
    (out / EPISODES).write_text("".join(lines[:3]))
    missing = sorted(set(range(EPISODES_PER_TASK)) - {json.loads(x)["episode"] for x in lines[:3]})
    checked(evaluate(out, "random", 4, "--ray", "auto", "--resume", "--videos", "0"))
    assert comparable(out) == comparable(runs.random4())
    # Only the missing episodes ran: one shard per gap-free run of them.
    runs_of_missing = 1 + sum(b != a + 1 for a, b in zip(missing, missing[1:]))
    assert ray_info(out)[0]["shards"] == runs_of_missing


def test_a_card_mistake_found_by_a_worker_is_one_line(tmp_path):
    # An observation group the env lacks is found only when a worker builds the env.
    root = Path(__file__).resolve().parents[2]
    suite = tmp_path / "s.yaml"
    src = (root / "tasks" / "smoke.yaml").read_text()
    suite.write_text(src.replace("state.cart: {source: policy, index: [0, 1]}", "state.cart: {source: nope}"))
    out = tmp_path / "o"
    proc = subprocess.run(
        [sys.executable, str(root / "scripts" / "evaluate.py"), "--suite", str(suite), "--policy", "zero",
         "--episodes", "1", "--num-envs", "1", "--out", str(out), "--no-progress", *RAY],
        capture_output=True, text=True, timeout=600, cwd=root,
    )
    assert proc.returncode == 2, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "state.cart" in last and "nope" in last, last
    assert not out.exists()
