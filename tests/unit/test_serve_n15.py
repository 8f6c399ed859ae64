"""GR00T's N1.5-era inference wire format (server `--wire n15`, remote `layout: n15`), checked
against a minimal N1.5-era client and server written here from the format's facts (raw zmq +
msgpack + numpy), and the server forgetting clients that never send `release`."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import msgpack
import numpy as np
import pytest
import zmq

from arena_eval.cards import ANNOTATION_KEY, PolicySpec, load_policy, load_suite
from arena_eval.serve import wire
from arena_eval.serve.backend import PolicyBackend
from arena_eval.serve.client import PolicyClient
from arena_eval.serve.remote import RemotePolicy
from arena_eval.serve.server import PolicyServer, ServerConfig

SMOKE = load_suite("smoke").task("cartpole_balance")
STATE_KEYS = ["state.cart", "state.cart_vel", "state.pole", "state.pole_vel"]
RECV_MS = 5000


def n15_pack(obj: Any) -> bytes:
    def default(o):
        if isinstance(o, np.ndarray):
            buf = io.BytesIO()
            np.save(buf, o, allow_pickle=False)
            return {"__ndarray_class__": True, "as_npy": buf.getvalue()}
        raise TypeError(type(o))

    return msgpack.packb(obj, default=default)


def n15_unpack(data: bytes) -> Any:
    def hook(d):
        if "__ndarray_class__" in d:
            return np.load(io.BytesIO(d["as_npy"]), allow_pickle=False)
        if "__ModalityConfig_class__" in d:
            assert isinstance(d["as_json"], str)  # the N1.5-era form
            return {"mc": json.loads(d["as_json"])}
        return d

    return msgpack.unpackb(data, object_hook=hook)


def _obs(b: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    obs: dict[str, Any] = {k: rng.normal(size=(b, 1, 1)).astype(np.float32) for k in STATE_KEYS}
    obs[ANNOTATION_KEY] = [SMOKE.instruction] * b
    return obs


def _serve(**cfg) -> PolicyServer:
    server = PolicyServer(PolicyBackend.from_card(load_policy("scripted"), [SMOKE]),
                          ServerConfig(host="127.0.0.1", port=0, **cfg))
    server.start_in_thread()
    return server


def _stop(server: PolicyServer) -> None:
    server.stop()
    server.join(5)


def _raw_call(endpoint: str, request: dict) -> Any:
    ctx = zmq.Context()
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.RCVTIMEO, RECV_MS)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    try:
        s.send(n15_pack(request))
        return n15_unpack(s.recv())
    finally:
        s.close(0)
        ctx.term()


def test_modality_config_as_json_string_round_trips():
    mc = wire.ModalityConfig([0, 1], ["a", "b"])
    data = wire.encode({"m": mc}, wire=wire.WIRE_N15)
    raw = msgpack.unpackb(data)
    assert isinstance(raw["m"]["as_json"], str) and json.loads(raw["m"]["as_json"])["modality_keys"] == ["a", "b"]
    assert wire.decode(data)["m"] == mc  # both forms decode
    assert wire.decode(wire.encode({"m": mc}))["m"] == mc
    with pytest.raises(wire.WireError, match="not valid JSON"):
        wire.decode(msgpack.packb({"m": {"__ModalityConfig_class__": True, "as_json": "{"}}))


def test_n15_client_against_our_server():
    server = _serve(wire=wire.WIRE_N15)
    try:
        mc = _raw_call(server.endpoint, {"endpoint": "get_modality_config"})
        assert mc["action"]["mc"]["modality_keys"] == ["cart_force"]
        obs = _obs(3)
        action = _raw_call(server.endpoint, {"endpoint": "get_action", "data": obs})
        assert set(action) == {"action.cart_force"}  # the action dict itself, no [action, info]
        gains = {"state.cart": 0.2, "state.cart_vel": 0.4, "state.pole": -3.0, "state.pole_vel": -0.5}
        want = np.clip(sum(g * obs[k][:, 0, 0] for k, g in gains.items()), -1, 1)
        np.testing.assert_allclose(action["action.cart_force"][:, 0, 0], want, rtol=1e-6)
    finally:
        _stop(server)


class N15Server:
    """GR00T's N1.5-era service, minimally: flat keys in, the action dict out, JSON-string configs."""

    def __init__(self):
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.REP)
        self.sock.setsockopt(zmq.RCVTIMEO, 100)
        self.port = self.sock.bind_to_random_port("tcp://127.0.0.1")
        self.requests: list[str] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def handle(self, req: dict) -> Any:
        ep = req.get("endpoint", "get_action")
        self.requests.append(ep)
        if ep == "ping":
            return {"status": "ok"}
        if ep == "get_modality_config":
            def mc(keys):  # the N1.5-era form: as_json is a JSON string
                return {"__ModalityConfig_class__": True, "as_json": json.dumps({"delta_indices": [0], "modality_keys": keys})}

            return {"state": mc(["pole"]), "action": mc(["cart_force"]), "language": mc([ANNOTATION_KEY])}
        if ep == "get_action":
            obs = req["data"]
            return {"action.cart_force": (-obs["state.pole"][:, -1:, :]).astype(np.float32)}
        return {"error": f"Unknown endpoint: {ep}"}

    def loop(self):
        while not self._stop.is_set():
            try:
                req = n15_unpack(self.sock.recv())
            except zmq.Again:
                continue
            self.sock.send(n15_pack(self.handle(req)))

    def close(self):
        self._stop.set()
        self.thread.join(2)
        self.sock.close(0)
        self.ctx.term()


def test_our_remote_adapter_against_an_n15_server():
    srv = N15Server()
    try:
        pol = RemotePolicy(PolicySpec(name="r", type="remote", action_horizon=1, n_action_steps=1,
                                      params={"port": srv.port, "layout": "n15", "timeout_s": 5}))
        from arena_eval.serve.backend import card_obs_shapes, task_spaces

        shapes = {k: (s if s is not None else (1,)) for k, s in card_obs_shapes(SMOKE).items()}
        obs_space, act_space = task_spaces(SMOKE, shapes)
        pol.bind(SMOKE, obs_space, act_space)
        pol.reset(np.arange(2), [0, 1])  # nothing sent: the N1.5-era service has no reset
        a = pol.get_action(_obs(2), np.arange(2))
        np.testing.assert_allclose(a["action.cart_force"][:, 0, 0], -_obs(2)["state.pole"][:, 0, 0])
        pol.close()
        assert "reset" not in srv.requests and srv.requests.count("get_action") == 1
    finally:
        srv.close()


def test_one_shot_clients_do_not_accumulate_state():
    """5,000 clients that each send one get_action and never `release`: the server keeps at
    most max_clients of them (and their slots); a client seen recently keeps its state."""
    server = _serve(max_clients=64)
    backend = server.backend
    st = backend.served[SMOKE.name]
    try:
        keeper = PolicyClient("127.0.0.1", int(server.endpoint.rsplit(":", 1)[1]), timeout_s=5)
        obs = _obs(2)
        for i in range(5000):
            c = PolicyClient("127.0.0.1", int(server.endpoint.rsplit(":", 1)[1]), timeout_s=5, client_id=f"one-shot-{i}")
            c.get_action(obs, {"client_id": c.client_id, "slots": [0, 1]})
            c.close()
            if i % 50 == 0:  # a long-lived client, active throughout
                keeper.get_action(_obs(1), {"client_id": keeper.client_id, "slots": [0]})
        assert backend.clients() <= 64
        assert len(st._vslots) <= 2 * 64 and st._next <= 2 * 64 + 2  # slots are reused, not grown
        assert (keeper.client_id, 0) in st._vslots
        assert len(server._replies) <= 64
        keeper.close()
    finally:
        _stop(server)
