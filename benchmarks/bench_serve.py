"""Policy-server throughput and transport overhead (a benchmark, not a test).

Prints, measured in one run:

1. throughput (action chunks/s, one per env row) for 1, 2 and 4 concurrent runner-like
   clients (separate processes, each asking for B rows per call and "stepping" for
   --sim-ms between calls) against one server process, with server-side batching off
   (--max-batch 1) and on; the policy has a fixed cost per call (a sleep, like a GPU model
   whose latency barely depends on the batch), which is what makes batching visible;
2. the per-call overhead of the transport: a zero-cost policy called through the server
   versus called in-process, for a state-only observation (Cartpole-sized) and one with a
   224 x 224 camera (GR00T-sized).

    bash scripts/run.sh python benchmarks/bench_serve.py [--cost-ms 20 --rows 4 --seconds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from arena_eval.cards import ANNOTATION_KEY, PolicySpec, parse_suite
from arena_eval.policies import Policy  # noqa: E402

HORIZON = 16
TASK = parse_suite({"name": "bench", "tasks": [{
    "name": "bench", "instruction": "pick up the box", "max_steps": 100, "success": "time_limit",
    "env": {"id": "Bench-v0"},
    "observations": {"state.arm": {"source": "policy", "index": [0, 7]}, "state.box": {"source": "policy", "index": [7, 10]},
                     "video.cam": {"source": "camera:cam"}},
    "actions": {"action.arm": {"dim": 7}, "action.waist": {"dim": 3}},
}]}, "<bench>").tasks[0]


class FixedCost(Policy):
    """Sleeps `cost_ms` per call whatever the batch, then returns actions from the state."""

    def __init__(self, spec: PolicySpec, cost_ms: float, camera: bool):
        super().__init__(spec)
        self.cost_s, self.camera = cost_ms / 1000.0, camera

    def required_obs(self):
        req: dict[str, Any] = {"state.arm": (7,), "state.box": (3,)}
        if self.camera:
            req["video.cam"] = (224, 224, 3)
        return req

    def get_action(self, obs, slots):
        if self.cost_s:
            time.sleep(self.cost_s)
        b = len(slots)
        arm = np.repeat(obs["state.arm"][:, -1:, :], self.action_horizon, axis=1)
        return {"action.arm": arm, "action.waist": np.zeros((b, self.action_horizon, 3), np.float32)}


def make_policy(cost_ms: float, camera: bool) -> Policy:
    return FixedCost(PolicySpec(name="fixed-cost", type="zero", action_horizon=HORIZON, n_action_steps=8), cost_ms, camera)


def observation(rows: int, camera: bool, rng: np.random.Generator) -> dict[str, Any]:
    obs: dict[str, Any] = {"state.arm": rng.normal(size=(rows, 1, 7)).astype(np.float32),
                           "state.box": rng.normal(size=(rows, 1, 3)).astype(np.float32)}
    if camera:
        obs["video.cam"] = rng.integers(0, 255, size=(rows, 1, 224, 224, 3), dtype=np.uint8)
    obs[ANNOTATION_KEY] = [TASK.instruction] * rows
    return obs


# ---------------------------------------------------------------------------------------
# server process


def serve(port: int, cost_ms: float, camera: bool, max_batch: int, max_wait_ms: float) -> None:
    from arena_eval.serve.backend import PolicyBackend, ServedTask
    from arena_eval.serve.server import PolicyServer, ServerConfig

    backend = PolicyBackend([ServedTask(TASK, make_policy(cost_ms, camera), {"video.cam": (224, 224, 3)})])
    server = PolicyServer(backend, ServerConfig(port=port, max_batch=max_batch, max_wait_ms=max_wait_ms))
    print(f"listening on {server.bind()}", flush=True)
    server.serve_forever()


class ServerProc:
    def __init__(self, cost_ms: float, camera: bool, max_batch: int, max_wait_ms: float):
        self.p = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--cost-ms", str(cost_ms), "--max-batch", str(max_batch),
             "--max-wait-ms", str(max_wait_ms)] + (["--camera"] if camera else []),
            stdout=subprocess.PIPE, text=True,
        )
        line = self.p.stdout.readline() if self.p.stdout else ""
        if not line.startswith("listening on "):
            self.p.kill()
            raise RuntimeError(f"server did not start: {line!r}")
        self.port = int(line.strip().rsplit(":", 1)[1])

    def close(self) -> None:
        from arena_eval.serve.client import PolicyClient

        with PolicyClient(port=self.port, timeout_s=5, retries=0) as c:
            c.kill_server()
        self.p.wait(10)


# ---------------------------------------------------------------------------------------
# runner-like clients


def client_loop(port: int, rows: int, seconds: float, sim_ms: float, camera: bool, barrier, results) -> None:
    from arena_eval.serve.client import PolicyClient

    rng = np.random.default_rng()
    obs = observation(rows, camera, rng)
    slots = list(range(rows))
    with PolicyClient(port=port, timeout_s=30, retries=0) as c:
        opts = {"client_id": c.client_id, "task": TASK.name, "slots": slots}
        c.reset({**opts, "seeds": slots})
        c.get_action(obs, opts)  # connect and warm up
        barrier.wait()
        calls, batched, t0 = 0, 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            _, info = c.get_action(obs, opts)
            calls += 1
            batched += info["server_timing"]["batch_requests"] > 1
            if sim_ms:
                time.sleep(sim_ms / 1000.0)
        results.put((calls, calls * rows, time.perf_counter() - t0, batched))


def throughput(port: int, n_clients: int, args) -> tuple[float, float]:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(n_clients), ctx.Queue()
    procs = [ctx.Process(target=client_loop, args=(port, args.rows, args.seconds, args.sim_ms, False, barrier, results))
             for _ in range(n_clients)]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    rows = sum(o[1] for o in out)
    wall = max(o[2] for o in out)
    calls = sum(o[0] for o in out)
    return rows / wall, sum(o[3] for o in out) / max(1, calls)


# ---------------------------------------------------------------------------------------
# per-call overhead


def overhead(camera: bool, calls: int, rows: int) -> tuple[float, float]:
    """Median seconds per call, in-process and through a server process (zero-cost policy)."""
    from arena_eval.serve.backend import task_spaces
    from arena_eval.serve.client import PolicyClient

    pol = make_policy(0.0, camera)
    pol.bind(TASK, *task_spaces(TASK, {"state.arm": (7,), "state.box": (3,), "video.cam": (224, 224, 3)}))
    obs = observation(rows, camera, np.random.default_rng(0))
    slots = np.arange(rows)
    local = []
    for _ in range(calls):
        t = time.perf_counter()
        pol.get_action(obs, slots)
        local.append(time.perf_counter() - t)
    srv = ServerProc(0.0, camera, 32, 0.0)
    try:
        with PolicyClient(port=srv.port, timeout_s=30, retries=0) as c:
            opts = {"client_id": c.client_id, "task": TASK.name, "slots": list(range(rows))}
            send = {k: v for k, v in obs.items()}
            for _ in range(20):
                c.get_action(send, opts)
            remote = []
            for _ in range(calls):
                t = time.perf_counter()
                c.get_action(send, opts)
                remote.append(time.perf_counter() - t)
    finally:
        srv.close()
    return float(np.median(local)), float(np.median(remote))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cost-ms", type=float, default=20.0, help="fixed policy cost per call")
    p.add_argument("--rows", type=int, default=4, help="env rows per client call (num_envs of a runner)")
    p.add_argument("--seconds", type=float, default=3.0, help="measuring time per configuration")
    p.add_argument("--sim-ms", type=float, default=2.0, help="client-side time between calls (env stepping)")
    p.add_argument("--max-batch", type=int, default=64, help="rows per batched call when batching is on")
    p.add_argument("--max-wait-ms", type=float, default=5.0, help="batching window when batching is on")
    p.add_argument("--calls", type=int, default=300, help="calls per overhead measurement")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--camera", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        serve(0, args.cost_ms, args.camera, args.max_batch, args.max_wait_ms)
        return 0

    print(f"policy: fixed {args.cost_ms:g} ms per call; each client asks for {args.rows} rows per call and steps "
          f"{args.sim_ms:g} ms between calls; {args.seconds:g} s per configuration\n")
    table: dict[tuple[str, int], tuple[float, float]] = {}
    for label, mb, mw in (("no batching", 1, 0.0), ("batching", args.max_batch, args.max_wait_ms)):
        srv = ServerProc(args.cost_ms, False, mb, mw)
        try:
            for n in (1, 2, 4):
                table[(label, n)] = throughput(srv.port, n, args)
        finally:
            srv.close()
    print(f"{'clients':>8} | {'no batching':>14} | {'batching (max ' + str(args.max_batch) + ' rows, ' + format(args.max_wait_ms, 'g') + ' ms)':>32} | {'ratio':>6} | shared calls")
    for n in (1, 2, 4):
        a, _ = table[("no batching", n)]
        b, share = table[("batching", n)]
        print(f"{n:>8} | {a:>10.0f} ch/s | {b:>28.0f} ch/s | {b / a:>5.2f}x | {share:>6.0%}")
    one = table[("batching", 1)][0]
    print(f"\nscaling with batching, 4 clients vs 1: {table[('batching', 4)][0] / one:.2f}x "
          f"(ideal {4:.0f}x; without batching: {table[('no batching', 4)][0] / table[('no batching', 1)][0]:.2f}x)\n")

    print("per-call overhead, zero-cost policy, median of", args.calls, "calls:")
    for camera in (False, True):
        local, remote = overhead(camera, args.calls, args.rows)
        what = f"{args.rows} rows, state only" if not camera else f"{args.rows} rows + 224x224 camera"
        print(f"  {what:<32} in-process {local * 1e6:8.1f} us | through the server {remote * 1e3:7.3f} ms | "
              f"transport adds {(remote - local) * 1e3:6.3f} ms ({remote / local:,.0f}x the in-process call)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
