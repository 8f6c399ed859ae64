"""The policy server and client over real loopback sockets, each checked against an
independent implementation of GR00T's wire format written here from the format's facts
alone (raw zmq + msgpack + numpy): our server against a minimal GR00T-style client, our
client and `remote` adapter against a minimal GR00T-style server. No simulator."""

from __future__ import annotations

import dataclasses
import io
import pickle
import threading
import time
from typing import Any

import msgpack
import numpy as np
import pytest
import zmq
from fakes import FakeEnv, fake_task

from arena_eval.cards import ANNOTATION_KEY, ActionSlot, PolicySpec, load_policy, load_suite
from arena_eval.errors import PolicyUnavailable, UserError
from arena_eval.policies import Policy
from arena_eval.policies.simple import RandomPolicy
from arena_eval.run import PlannedEpisode, run_task
from arena_eval.serve.backend import PolicyBackend, ServedTask, task_spaces
from arena_eval.serve.client import PolicyClient, ServerError, ServerUnreachable
from arena_eval.serve.remote import RemotePolicy, RemotePolicyGone
from arena_eval.serve.server import PolicyServer, ServerConfig

LOOPBACK = "127.0.0.1"
RECV_MS = 5000  # every raw receive in this file is bounded


# ---------------------------------------------------------------------------------------
# An independent GR00T-format codec (from the wire-format facts, not from arena_eval).


def g_pack(obj: Any) -> bytes:
    def default(o):
        if isinstance(o, np.ndarray):
            buf = io.BytesIO()
            np.save(buf, o, allow_pickle=False)
            return {"__ndarray_class__": True, "as_npy": buf.getvalue()}
        raise TypeError(type(o))

    return msgpack.packb(obj, default=default)


def g_unpack(data: bytes) -> Any:
    def hook(d):
        if "__ndarray_class__" in d:
            return np.load(io.BytesIO(d["as_npy"]), allow_pickle=False)
        if "__ModalityConfig_class__" in d:
            return {"modality_config": d["as_json"]}
        return d

    return msgpack.unpackb(data, object_hook=hook)


def g_modality(delta_indices: list[int], keys: list[str]) -> dict:
    return {"__ModalityConfig_class__": True, "as_json": {
        "delta_indices": delta_indices, "modality_keys": keys, "sin_cos_embedding_keys": None,
        "mean_std_embedding_keys": None, "action_configs": None}}


class RawClient:
    """GR00T's client, minimally: REQ socket, one request, one reply."""

    def __init__(self, endpoint: str, token: str | None = None):
        self.ctx = zmq.Context()
        self.endpoint = endpoint
        self.token = token
        self._connect()

    def _connect(self):
        self.sock = self.ctx.socket(zmq.REQ)
        self.sock.setsockopt(zmq.RCVTIMEO, RECV_MS)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(self.endpoint)

    def raw(self, payload: bytes) -> Any:
        self.sock.send(payload)
        return g_unpack(self.sock.recv())

    def call(self, endpoint: str, data: Any = None, requires_input: bool = True) -> Any:
        req: dict = {"endpoint": endpoint}
        if requires_input:
            req["data"] = data
        if self.token:
            req["api_token"] = self.token
        return self.raw(g_pack(req))

    def close(self):
        self.sock.close(0)
        self.ctx.term()


# ---------------------------------------------------------------------------------------
# Our server, in a thread


SMOKE = load_suite("smoke").task("cartpole_balance")
STATE_KEYS = ["state.cart", "state.cart_vel", "state.pole", "state.pole_vel"]


def serve(backend, **cfg) -> PolicyServer:
    server = PolicyServer(backend, ServerConfig(host=LOOPBACK, port=0, **cfg))
    server.start_in_thread()
    return server


def stop(server: PolicyServer) -> None:
    server.stop()
    server.join(5)


@pytest.fixture
def scripted_server():
    server = serve(PolicyBackend.from_card(load_policy("scripted"), [SMOKE]), api_token="s3cret", max_message_bytes=256 * 1024)
    yield server
    stop(server)


def cartpole_obs(b: int, rng: np.random.Generator) -> dict[str, Any]:
    obs: dict[str, Any] = {k: rng.normal(size=(b, 1, 1)).astype(np.float32) for k in STATE_KEYS}
    obs[ANNOTATION_KEY] = [SMOKE.instruction] * b
    return obs


def test_gr00t_style_client_against_our_server(scripted_server):
    c = RawClient(scripted_server.endpoint, token="s3cret")
    try:
        assert c.call("ping", requires_input=False) == {"status": "ok", "message": "Server is running"}
        mc = c.call("get_modality_config", requires_input=False)
        assert set(mc) == {"state", "action", "language"}  # no cameras: no video modality
        assert mc["action"]["modality_config"]["modality_keys"] == ["cart_force"]
        assert mc["action"]["modality_config"]["delta_indices"] == [0]
        assert sorted(mc["state"]["modality_config"]["modality_keys"]) == ["cart", "cart_vel", "pole", "pole_vel"]
        assert mc["language"]["modality_config"]["modality_keys"] == [ANNOTATION_KEY]
        # GR00T's sim-wrapper observation, no options: rows are the slots
        obs = cartpole_obs(3, np.random.default_rng(0))
        reply = c.call("get_action", {"observation": obs, "options": None})
        assert isinstance(reply, list) and len(reply) == 2
        action, info = reply
        a = action["action.cart_force"]
        assert a.dtype == np.float32 and a.shape == (3, 1, 1)
        gains = {"state.cart": 0.2, "state.cart_vel": 0.4, "state.pole": -3.0, "state.pole_vel": -0.5}
        want = np.clip(sum(g * obs[k][:, 0, 0] for k, g in gains.items()), -1, 1)
        np.testing.assert_allclose(a[:, 0, 0], want, rtol=1e-6)
        assert info["server_timing"]["batch_rows"] == 3 and info["server_timing"]["policy_ms"] >= 0
        # Gr00tPolicy's nested layout is understood too and answered with bare action keys
        nested = {"state": {k.split(".")[1]: obs[k] for k in STATE_KEYS},
                  "language": {ANNOTATION_KEY: [[s] for s in obs[ANNOTATION_KEY]]}}
        action2, _ = c.call("get_action", {"observation": nested, "options": None})
        assert set(action2) == {"cart_force"} and np.array_equal(action2["cart_force"], a)
        assert c.call("reset", {"options": None})["server_id"] == info["server_id"]
        assert c.call("kill", requires_input=False)["status"] == "ok"
    finally:
        c.close()
    scripted_server.join(5)
    assert scripted_server.endpoint and not scripted_server._thread.is_alive()


def test_bad_requests_get_error_replies_and_the_server_keeps_serving(scripted_server, tmp_path):
    c = RawClient(scripted_server.endpoint, token="s3cret")
    canary = tmp_path / "unpickled"

    class Bomb:
        def __reduce__(self):
            return (open, (str(canary), "w"))

    buf = io.BytesIO()
    np.save(buf, np.array([Bomb()], dtype=object), allow_pickle=True)
    obj_npy = {"__ndarray_class__": True, "as_npy": buf.getvalue()}
    good_obs = cartpole_obs(1, np.random.default_rng(1))
    cases = {
        "garbage": (b"\xc1\x00garbage", "malformed"),
        "pickled": (pickle.dumps({"endpoint": "ping", "api_token": "s3cret", "b": Bomb()}), "malformed"),
        "not a map": (msgpack.packb([1, 2, 3]), "expected a map"),
        "oversized": (g_pack({"endpoint": "ping", "api_token": "s3cret", "pad": b"x" * 300_000}), "exceeds"),
        "no token": (g_pack({"endpoint": "ping"}), "Unauthorized: Invalid API token"),
        "wrong token": (g_pack({"endpoint": "ping", "api_token": "guess"}), "Unauthorized: Invalid API token"),
        "unknown endpoint": (g_pack({"endpoint": "shutdown_now", "api_token": "s3cret"}), "Unknown endpoint: shutdown_now"),
        "object array": (g_pack({"endpoint": "get_action", "api_token": "s3cret", "data": {
            "observation": {**good_obs, "state.pole": obj_npy}}}), "not allowed"),
        "bad observation": (g_pack({"endpoint": "get_action", "api_token": "s3cret", "data": {
            "observation": {**good_obs, "state.pole": np.zeros((1, 1, 5), np.float32)}}}), "state.pole must have shape"),
        "no data": (g_pack({"endpoint": "get_action", "api_token": "s3cret"}), "get_action expects"),
    }
    try:
        for name, (payload, cause) in cases.items():
            reply = c.raw(payload)
            assert isinstance(reply, dict) and set(reply) == {"error"}, name
            assert cause in reply["error"] and "\n" not in reply["error"], (name, reply)
            assert c.call("ping", requires_input=False)["status"] == "ok", f"not serving after {name}"
        assert not canary.exists()
        # far beyond the limit ZMQ drops the connection without reading the message: no reply,
        # but the server serves everyone else
        c.sock.setsockopt(zmq.RCVTIMEO, 1000)
        with pytest.raises(zmq.Again):
            c.raw(b"\x00" * (256 * 1024 * 5))
        c.close()
        c = RawClient(scripted_server.endpoint, token="s3cret")
        assert c.call("ping", requires_input=False)["status"] == "ok"
        assert scripted_server.stats["errors"] >= len(cases)
    finally:
        c.close()


# ---------------------------------------------------------------------------------------
# A minimal GR00T-style server, for our client


class RawServer:
    """GR00T's PolicyServer loop, minimally, serving a sim-wrapper (flat) or nested policy
    that returns zeros; `mode` "silent" never replies, "drop_first" ignores the first request."""

    def __init__(self, action_keys=("a", "b"), dims=(1, 2), horizon=16, nested=False, mode="normal", token=None):
        self.action_keys, self.dims, self.horizon, self.nested, self.mode, self.token = action_keys, dims, horizon, nested, mode, token
        self.requests: list[dict] = []
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)  # ROUTER so "drop_first" can skip a reply
        self.sock.setsockopt(zmq.LINGER, 0)
        self.port = self.sock.bind_to_random_port(f"tcp://{LOOPBACK}")
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def handle(self, req: dict) -> Any:
        if self.token is not None and req.get("api_token") != self.token:
            return {"error": "Unauthorized: Invalid API token"}
        ep = req.get("endpoint", "get_action")
        if ep == "ping":
            return {"status": "ok", "message": "Server is running"}
        if ep == "get_modality_config":
            return {"state": g_modality([0], ["x"]), "action": g_modality(list(range(self.horizon)), list(self.action_keys)),
                    "language": g_modality([0], [ANNOTATION_KEY])}
        if ep == "reset":
            return {}
        if ep == "get_action":
            obs = req["data"]["observation"]
            if self.nested:
                b = len(obs["language"][ANNOTATION_KEY])
                assert obs["state"]["x"].shape == (b, 1, 2) and obs["language"][ANNOTATION_KEY][0] == ["do the thing"]
                names = list(self.action_keys)
            else:
                b = len(obs[ANNOTATION_KEY])
                assert obs["state.x"].shape == (b, 1, 2) and obs["state.x"].dtype == np.float32
                names = [f"action.{k}" for k in self.action_keys]
            # echo the observation so the caller sees its own rows come back
            return [{n: np.full((b, self.horizon, d), obs["state"]["x"][:, :1, :1] if self.nested else obs["state.x"][:, :1, :1], np.float32)
                     for n, d in zip(names, self.dims)}, {}]
        return {"error": f"Unknown endpoint: {ep}"}

    def loop(self):
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        seen = 0
        while self.running:
            if not poller.poll(50):
                continue
            ident, empty, payload = self.sock.recv_multipart()
            req = g_unpack(payload)
            self.requests.append(req)
            seen += 1
            if self.mode == "silent" or (self.mode == "drop_first" and seen == 1):
                continue
            self.sock.send_multipart([ident, empty, g_pack(self.handle(req))])

    def close(self):
        self.running = False
        self.thread.join(5)
        self.sock.close(0)
        self.ctx.term()


def remote_spec(port: int, **params) -> PolicySpec:
    return PolicySpec(name="r", type="remote", action_horizon=params.pop("action_horizon", 16), n_action_steps=8,
                      params={"host": LOOPBACK, "port": port, "timeout_s": 2, "retries": 0, **params}, source="<test card>")


def fake_spaces(task):
    env = FakeEnv(task, 2, lambda s: (5, True))
    return env.single_observation_space, env.single_action_space


@pytest.mark.parametrize("nested", [False, True])
def test_our_adapter_against_a_gr00t_style_server(nested):
    srv = RawServer(nested=nested)
    task = fake_task()
    pol = RemotePolicy(remote_spec(srv.port, layout="nested" if nested else "flat"))
    try:
        pol.bind(task, *fake_spaces(task))
        assert pol.server_id is None  # a GR00T server does not describe itself
        pol.reset(np.array([0, 1]), [11, 12])
        x = np.array([[[1.0, 2.0]], [[3.0, 4.0]]], np.float32)
        acts = pol.get_action({"state.x": x, ANNOTATION_KEY: ["do the thing"] * 2}, np.array([0, 1]))
        assert set(acts) == {"action.a", "action.b"}
        assert acts["action.b"].shape == (2, 16, 2) and acts["action.b"].dtype == np.float32
        assert acts["action.a"][1, 0, 0] == 3.0  # rows came back in order
        eps = [r["endpoint"] for r in srv.requests]
        # ping, then identity, which a GR00T server refuses: its modality config identifies it
        assert eps[:4] == ["ping", "identity", "get_modality_config", "describe"] and eps[-2:] == ["reset", "get_action"]
        assert "GR00T server with action keys a, b" in pol.identity()["summary"]
        opts = srv.requests[-1]["data"]["options"]
        assert opts["slots"] == [0, 1] and opts["task"] == "fake" and isinstance(opts["client_id"], str)
        assert "data" not in srv.requests[0]  # ping carries no data, as in GR00T's client
    finally:
        pol.close()
        srv.close()


def test_adapter_refuses_a_server_that_does_not_fit_the_task():
    task = fake_task()
    srv = RawServer(action_keys=("a", "c"))
    try:
        with pytest.raises(UserError, match=r"outputs action.a, action.c: lacks action.b and gives unknown action.c \(task 'fake' takes action.a, action.b\)"):
            RemotePolicy(remote_spec(srv.port)).bind(task, *fake_spaces(task))
    finally:
        srv.close()
    srv = RawServer(horizon=8)
    try:
        with pytest.raises(UserError, match="action_horizon 16 but policy server .* returns 8-step chunks"):
            RemotePolicy(remote_spec(srv.port)).bind(task, *fake_spaces(task))
    finally:
        srv.close()


def test_client_errors_carry_the_server_cause():
    srv = RawServer(token="t0k")
    try:
        c = PolicyClient(LOOPBACK, srv.port, timeout_s=2, retries=0, api_token="wrong")
        with pytest.raises(ServerError) as e:
            c.call("ping", requires_input=False)
        assert e.value.cause == "Unauthorized: Invalid API token" and str(srv.port) in str(e.value)
        c.close()
        with pytest.raises(UserError, match="Unauthorized: Invalid API token"):
            RemotePolicy(remote_spec(srv.port, token="wrong"))
        c = PolicyClient(LOOPBACK, srv.port, timeout_s=2, retries=0, api_token="t0k")
        assert c.ping()
        with pytest.raises(ServerError, match="Unknown endpoint: nope"):
            c.call("nope")
        c.close()
    finally:
        srv.close()


def test_client_times_out_reconnects_and_gives_up():
    srv = RawServer(mode="drop_first")
    try:
        c = PolicyClient(LOOPBACK, srv.port, timeout_s=0.5, retries=1)
        assert c.call("ping", requires_input=False)["status"] == "ok"  # second attempt, new socket
        assert c.reconnects == 1 and len(srv.requests) == 2
        c.close()
    finally:
        srv.close()
    srv = RawServer(mode="silent")
    try:
        c = PolicyClient(LOOPBACK, srv.port, timeout_s=0.4, retries=2)
        t0 = time.perf_counter()
        with pytest.raises(ServerUnreachable, match=r"within 0.4 s \(3 attempts\)"):
            c.call("ping", requires_input=False)
        # It waited through every attempt (3 x 0.4 s) and did not hang: a behaviour check with a
        # loose upper bound, not a speed goal (a loaded CI machine must not flake it).
        assert 1.1 < time.perf_counter() - t0 < 15.0
        c.close()
        with pytest.raises(UserError, match="no reply from policy server"):  # nothing run yet: a setup mistake
            RemotePolicy(remote_spec(srv.port, timeout_s=0.3))
    finally:
        srv.close()


# ---------------------------------------------------------------------------------------
# Our server and our adapter together


def test_server_gone_mid_run_stops_the_run_and_keeps_finished_episodes():
    """Runner + remote adapter (no simulator): when the server dies, get_action raises
    PolicyUnavailable within the client's timeout, finished episodes are recorded and the
    running ones are not (resume runs them again)."""
    task = fake_task(actions={"action.a": {"dim": 1}}, max_steps=50, episodes=6)
    spec = PolicySpec(name="rand", type="random", action_horizon=4, n_action_steps=4)
    server = serve(PolicyBackend([ServedTask(task, RandomPolicy(spec), {"state.x": (2,)})]))
    pol = RemotePolicy(PolicySpec(name="r", type="remote", action_horizon=4, n_action_steps=4,
                                  params={"port": int(server.endpoint.rsplit(":", 1)[1]), "timeout_s": 0.5, "retries": 1}))
    env = FakeEnv(task, 2, lambda s: (10 if s < 3 else 40, True))
    pol.bind(task, env.single_observation_space, env.single_action_space)
    records = []

    def on_record(r):
        records.append(r)
        if len(records) == 2:  # the two short episodes are done: the server dies
            stop(server)
            on_record.t = time.perf_counter()

    plan = [PlannedEpisode("fake", i, i) for i in range(6)]
    with pytest.raises(PolicyUnavailable, match="no reply from policy server") as e:
        run_task(env, pol, task, plan, on_record, progress=False)
    assert isinstance(e.value, RemotePolicyGone)
    assert time.perf_counter() - on_record.t < 0.5 * 2 + 1.0
    assert [r.episode for r in records] == [0, 1] and all(r.outcome == "success" for r in records)
    pol.close()


def test_several_clients_keep_their_own_policy_state():
    """Two runners with the same slots but different episode seeds get exactly what an
    in-process RandomPolicy gives each (server-side state is keyed by client id)."""
    spec = load_policy("random")
    server = serve(PolicyBackend.from_card(spec, [SMOKE]), max_wait_ms=20)
    port = int(server.endpoint.rsplit(":", 1)[1])
    obs_space, act_space = task_spaces(SMOKE, {k: (1,) for k in STATE_KEYS})
    card = PolicySpec(name="r", type="remote", action_horizon=spec.action_horizon, n_action_steps=spec.n_action_steps,
                      params={"port": port, "timeout_s": 5, "retries": 0})
    seeds = {0: [101, 102], 1: [201, 202]}
    got: dict[int, list] = {}

    def runner(i: int) -> None:
        pol = RemotePolicy(card)
        pol.bind(SMOKE, obs_space, act_space)
        pol.reset(np.array([0, 1]), seeds[i])
        obs = cartpole_obs(2, np.random.default_rng(i))
        got[i] = [pol.get_action(obs, np.array([0, 1]))["action.cart_force"] for _ in range(5)]
        pol.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    stop(server)
    for i in (0, 1):
        ref = RandomPolicy(spec)
        ref.bind(SMOKE, obs_space, act_space)
        ref.reset(np.array([0, 1]), seeds[i])
        for k in range(5):
            np.testing.assert_array_equal(got[i][k], ref.get_action({}, np.array([0, 1]))["action.cart_force"])


class SlowEcho(Policy):
    """A fixed cost per call (so batching shows) and actions that echo each row's state."""

    def __init__(self, spec, cost_s=0.03):
        super().__init__(spec)
        self.cost_s, self.calls, self.batch_sizes = cost_s, 0, []

    def required_obs(self):
        return {"state.pole": (1,)}

    def get_action(self, obs, slots):
        time.sleep(self.cost_s)
        self.calls += 1
        self.batch_sizes.append(len(slots))
        return {"action.cart_force": np.repeat(obs["state.pole"][:, -1:, :], self.action_horizon, axis=1)}


@pytest.mark.parametrize("max_batch, max_wait_ms", [(1, 0), (16, 50)])
def test_requests_from_several_clients_share_policy_calls(max_batch, max_wait_ms):
    policy = SlowEcho(PolicySpec(name="echo", type="zero", action_horizon=2, n_action_steps=2))
    server = serve(PolicyBackend([ServedTask(SMOKE, policy)]), max_batch=max_batch, max_wait_ms=max_wait_ms)
    port = int(server.endpoint.rsplit(":", 1)[1])
    n_clients, n_calls = 4, 5
    infos: list[dict] = []
    errors: list[str] = []

    def client(i: int) -> None:
        c = PolicyClient(LOOPBACK, port, timeout_s=5, retries=0)
        try:
            for k in range(n_calls):
                x = np.full((2, 1, 1), 100 * i + k, np.float32)
                obs = {"state.pole": x, ANNOTATION_KEY: ["x", "x"]}
                act, info = c.get_action(obs, {"client_id": c.client_id, "slots": [0, 1]})
                if not np.array_equal(act["action.cart_force"], np.repeat(x, 2, axis=1)):
                    errors.append(f"client {i} call {k} got another client's rows")
                infos.append(info["server_timing"])
        finally:
            c.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    stop(server)
    assert not errors and len(infos) == n_clients * n_calls
    if max_batch == 1:
        assert policy.calls == n_clients * n_calls and max(policy.batch_sizes) == 2
    else:
        assert policy.calls < n_clients * n_calls and max(i["batch_requests"] for i in infos) > 1
        assert max(policy.batch_sizes) <= 16 and sum(policy.batch_sizes) == 2 * n_clients * n_calls


def test_a_retried_request_is_answered_once():
    policy = SlowEcho(PolicySpec(name="echo", type="zero", action_horizon=1, n_action_steps=1), cost_s=0)
    server = serve(PolicyBackend([ServedTask(SMOKE, policy)]))
    c = PolicyClient(LOOPBACK, int(server.endpoint.rsplit(":", 1)[1]), timeout_s=2, retries=0)
    try:
        data = {"observation": {"state.pole": np.ones((1, 1, 1), np.float32), ANNOTATION_KEY: ["x"]},
                "options": {"client_id": "me", "request_id": 7, "slots": [0]}}
        first = c.call("get_action", data)
        again = c.call("get_action", data)
        assert policy.calls == 1 and first[1] == again[1]
        c.call("get_action", {**data, "options": {**data["options"], "request_id": 8}})
        assert policy.calls == 2
    finally:
        c.close()
        stop(server)


def test_task_bound_on_the_first_clients_describe():
    """A card that does not fix an observation's shape: the server binds the task when our
    client describes its env; GR00T's client meanwhile gets a one-line error."""
    task = fake_task(observations={"state.x": {"source": "policy"}}, actions={"action.a": {"dim": 1}})
    zero = PolicySpec(name="zero", type="zero", action_horizon=4, n_action_steps=4)
    server = serve(PolicyBackend.from_card(zero, [task]))
    port = int(server.endpoint.rsplit(":", 1)[1])
    raw = RawClient(server.endpoint)
    try:
        err = raw.call("get_modality_config", requires_input=False)
        assert "not bound yet" in err["error"] and "state.x" in err["error"]
        pol = RemotePolicy(PolicySpec(name="r", type="remote", action_horizon=4, n_action_steps=4, params={"port": port, "timeout_s": 2}))
        obs_space, act_space = task_spaces(task, {"state.x": (3,)})
        pol.bind(task, obs_space, act_space)
        pol.reset(np.array([0]), [1])
        assert pol.get_action({"state.x": np.zeros((1, 1, 3), np.float32), ANNOTATION_KEY: ["x"]}, np.array([0]))["action.a"].shape == (1, 4, 1)
        assert raw.call("describe", {"options": None})["observations"] == {"state.x": [3]}
        pol.close()
    finally:
        raw.close()
        stop(server)


def test_served_task_must_match():
    server = serve(PolicyBackend.from_card(load_policy("scripted"), [SMOKE]))
    port = int(server.endpoint.rsplit(":", 1)[1])
    try:
        other = fake_task()
        pol = RemotePolicy(PolicySpec(name="r", type="remote", params={"port": port, "timeout_s": 2}))
        with pytest.raises(UserError, match=r"cannot serve task 'fake': this server does not serve task 'fake' \(it serves cartpole_balance\)"):
            pol.bind(other, *fake_spaces(other))
        pol.close()
        steps = RemotePolicy(PolicySpec(name="r", type="remote", action_horizon=1, n_action_steps=1, params={"port": port}))
        bad_bounds = dataclasses.replace(SMOKE, actions={"action.cart_force": ActionSlot(1, -2.0, 2.0)})
        obs_space, act_space = task_spaces(bad_bounds, {k: (1,) for k in STATE_KEYS})
        with pytest.raises(UserError, match=r"bounds action.cart_force to \[-1.0, 1.0\], task 'cartpole_balance' to \[-2.0, 2.0\]"):
            steps.bind(bad_bounds, obs_space, act_space)
        steps.close()
    finally:
        stop(server)
