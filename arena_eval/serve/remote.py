"""The `remote` policy adapter: the runner's policy calls go to a policy server over ZMQ.

Card (policies/<name>.yaml)::

    name: remote-scripted
    type: remote
    action_horizon: 1          # must equal the server's (its action modality's delta_indices)
    n_action_steps: 1          # must equal the served card's (checked when the server says it)
    params:
      host: 127.0.0.1
      port: 5555
      timeout_s: 30            # per attempt; raise it above the server's slowest batched call
      retries: 2               # reconnect and resend after a timeout this many times
      token_env: ARENA_EVAL_TOKEN   # the token is read from this variable (or `token: ...`,
                                    # which the run manifest then records)
      layout: flat             # flat: `video.cam` keys (ours, GR00T's sim wrapper);
                               # nested: {"video": {...}, ...} (GR00T's Gr00tPolicy served directly);
                               # n15: GR00T's N1.5-era service (flat keys, the observation as the
                               # request data, the action dict as the reply, no reset)
      max_message_mb: 64

Before a task's first episode the adapter checks the server against the task: the action
keys and horizon of its modality config, the observation keys it reads, and, from servers
that answer `describe` (ours), the shapes, action dims and bounds, the served task and the
executed steps; a mismatch is a `UserError` naming both sides. Each get_action sends only the
keys the server reads, with the env slots and a client id, so server-side state (random
draws per episode seed, expert plans) follows the episodes. A server error ends the episodes
of that call as errors (like an in-process policy exception); a server that stays silent
through every retry, or one that restarted mid-run (its policy state is lost), raises
`RemotePolicyGone`: the run stops, keeps every finished episode and resumes with --resume.

What the server serves is part of the run's identity (`identity()`, asked before the
simulator starts): our servers answer `identity` with the policy card's fields, the
checkpoint's content hash and each task's keys; a GR00T server, which cannot say which
checkpoint it serves, is identified by its modality config alone. `--resume` refuses a server
that now serves something else, and so does every call that finds the server restarted (a
new server id): one line, exit 2, nothing more recorded.

Batch invariance: a call's rows travel in one request. Our server hands them to the served
adapter, which computes each row alone by default for GR00T (its identity says which), so the
actions do not depend on which episodes share a call; GR00T's own server runs a request in one
batched forward, so against it they may, in the last bits or through padded instructions.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import gymnasium as gym
import numpy as np

from ..cards import ANNOTATION_KEY, PolicySpec, TaskSpec
from ..errors import PolicyUnavailable, UserError
from ..policies import Policy
from .client import PolicyClient, ServerError, ServerUnreachable
from .wire import ModalityConfig

PARAMS = ("host", "port", "timeout_s", "retries", "token", "token_env", "layout", "max_message_mb")


class RemotePolicyGone(PolicyUnavailable):
    """The policy server cannot serve this run any more."""


class RemotePolicyError(RuntimeError):
    """The server answered a call with an error (ends the episodes of that call)."""


class RemotePolicy(Policy):
    def __init__(self, spec: PolicySpec):
        super().__init__(spec)
        p = dict(spec.params)
        unknown = sorted(set(p) - set(PARAMS))
        if unknown:
            self._err(f"unknown parameter {unknown[0]!r} (known: {', '.join(PARAMS)})", "params")
        host = p.get("host", "127.0.0.1")
        if not isinstance(host, str) or not host:
            self._err(f"expected a host name or address, got {host!r}", "params.host")
        port = p.get("port", 5555)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            self._err(f"expected a port number, got {port!r}", "params.port")
        timeout_s = self._number(p, "timeout_s", 30.0)
        retries = p.get("retries", 2)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            self._err(f"expected an integer >= 0, got {retries!r}", "params.retries")
        self.layout = p.get("layout", "flat")
        if self.layout not in ("flat", "nested", "n15"):
            self._err(f"expected 'flat', 'nested' or 'n15', got {self.layout!r}", "params.layout")
        token = p.get("token")
        if p.get("token_env"):
            token = os.environ.get(str(p["token_env"]))
            if not token:
                self._err(f"environment variable {p['token_env']} is not set", "params.token_env")
        if token is not None and not isinstance(token, str):
            self._err("expected a string", "params.token")
        max_bytes = int(self._number(p, "max_message_mb", 64.0) * 1024 * 1024)
        self.client = PolicyClient(host, port, timeout_s=timeout_s, retries=retries, api_token=token,
                                   max_message_bytes=max_bytes, wire_format="n15" if self.layout == "n15" else "current")
        self.address = self.client.address
        self.server_id: str | None = None
        self._gone = False
        self._mc: dict[str, ModalityConfig] = {}
        self._send: list[str] = []  # observation keys the server reads
        self._lang_key = ANNOTATION_KEY
        self._required: dict[str, tuple[int, ...] | None] = {}
        self.calls = 0
        self.resets = 0
        self.round_trip_s = 0.0
        self.server_ms = {"queue_ms": 0.0, "policy_ms": 0.0}
        # Fail before the (slow) simulator starts when nothing answers (one attempt suffices).
        try:
            self._call(lambda: self.client.call("ping", requires_input=False, retries=0), at_setup=True)
            self._identity = self._served_identity()
        except UserError:
            self.client.close()
            raise

    # -- helpers

    def _err(self, msg: str, field: str | None = None) -> Any:
        raise UserError(msg, where=self.spec.source or None, field=field)

    def _number(self, p: dict, name: str, default: float) -> float:
        v = p.get(name, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
            self._err(f"expected a number > 0, got {v!r}", f"params.{name}")
        return float(v)

    def _unreachable(self, e: ServerUnreachable, at_setup: bool) -> Any:
        # Before this adapter has run any episode, a silent server is a setup mistake (nothing
        # to keep); afterwards the run stops and keeps what it has.
        if at_setup and self.calls == 0 and self.resets == 0:
            self._err(f"{e} (is scripts/serve_policy.py running there?)")
        self._gone = True
        raise RemotePolicyGone(str(e)) from None

    def _call(self, fn, *, at_setup: bool = False) -> Any:
        """Run one client call, mapping failures to what the runner expects."""
        if self._gone:
            raise RemotePolicyGone(f"policy server {self.address} is gone")
        try:
            out = fn()
        except ServerUnreachable as e:
            self._unreachable(e, at_setup)
        except ServerError as e:
            if at_setup:
                self._err(str(e))
            raise RemotePolicyError(str(e)) from None
        return out

    def _served_identity(self) -> dict[str, Any]:
        """What the server serves (see the module docstring); a UserError if it cannot say."""
        try:
            info = self.client.call("identity", {"options": None}, retries=0)
        except ServerError as e:
            if "unknown endpoint" not in e.cause.lower():
                self._err(f"policy server {self.address} cannot say what it serves: {e.cause}")
            mc = self._call(lambda: self.client.get_modality_config(None), at_setup=True)
            modality = {k: {"keys": list(v.modality_keys), "delta_indices": list(v.delta_indices)} for k, v in sorted(mc.items())}
            acts = ", ".join(modality.get("action", {}).get("keys", []))
            return {"summary": f"a GR00T server with action keys {acts or 'none'} (it does not say its checkpoint)",
                    "modality": modality}
        except ServerUnreachable as e:
            self._unreachable(e, at_setup=True)
        if not isinstance(info, dict) or not isinstance(info.get("summary"), str):
            self._err(f"policy server {self.address} gave a malformed identity reply")
        self.server_id = info.pop("server_id", None)
        return info

    def identity(self) -> dict[str, Any]:
        return self._identity

    def _check_server(self, info: dict[str, Any]) -> None:
        sid = info.get("server_id")
        if self.server_id is not None and sid is not None and sid != self.server_id:
            old_sid = self.server_id
            self._gone = True
            self._same_policy_served()
            raise RemotePolicyGone(f"policy server {self.address} restarted mid-run (server id {old_sid} -> {sid}); "
                                   "the policy state of running episodes is lost")

    def _same_policy_served(self) -> None:
        """After a server restart: a UserError if it now serves another policy."""
        old = self._identity
        try:
            new = self._served_identity()
        except (UserError, RemotePolicyGone):
            return  # nothing answers: the caller's own error says so
        if new != old:  # another policy is served now: no episode of it may join this run
            raise UserError(f"policy server {self.address} now serves {new['summary']}, but this run's episodes "
                            f"came from {old['summary']}; start a new run (another --out) for it")

    # -- the Policy interface

    def required_obs(self) -> dict[str, tuple[int, ...] | None]:
        return dict(self._required)

    def bind(self, task: TaskSpec, obs_space: gym.spaces.Dict, act_space: gym.spaces.Dict) -> None:
        theirs = f"policy server {self.address}"
        ours = f"task {task.name!r}"
        space = {k: [int(n) for n in s.shape] for k, s in obs_space.spaces.items()}
        opts = {"task": task.name, "client_id": self.client.client_id}
        info: dict[str, Any] | None = None
        try:
            info = self.client.describe({**opts, "observation_space": space})
        except ServerError as e:
            if "unknown endpoint" not in e.cause.lower():  # a GR00T server does not describe; others must
                self._err(f"{theirs} cannot serve {ours}: {e.cause}")
        except ServerUnreachable as e:
            self._unreachable(e, at_setup=True)
        if info is not None:
            theirs = f"policy server {self.address} (policy {info.get('policy', {}).get('name')!r}, task {info.get('task', {}).get('name')!r})"
        mc = self._call(lambda: self.client.get_modality_config(opts), at_setup=True)
        self._mc = mc

        def fail(msg: str) -> None:
            raise UserError(msg, where=self.spec.source or task.source)

        # actions: keys, horizon
        if "action" not in mc:
            fail(f"{theirs} has no action modality")
        act_keys = [f"action.{k}" for k in mc["action"].modality_keys]
        why = task.action_key_mismatch(act_keys)
        if why:
            fail(f"{theirs} outputs {', '.join(sorted(act_keys))}: {why}")
        horizon = len(mc["action"].delta_indices)
        if horizon != self.action_horizon:
            fail(f"the remote card says action_horizon {self.action_horizon} but {theirs} returns {horizon}-step chunks")
        # observations the server reads: present, one frame
        send: list[str] = []
        for modality in ("video", "state"):
            if modality not in mc:
                continue
            frames = len(mc[modality].delta_indices)
            if frames != 1:
                fail(f"{theirs} reads {frames} {modality} frames per call; the runner gives 1")
            for k in mc[modality].modality_keys:
                key = f"{modality}.{k}"
                if key not in obs_space.spaces:
                    fail(f"{theirs} needs {key} but {ours} provides only {', '.join(obs_space.spaces) or 'nothing'}")
                send.append(key)
        lang = mc.get("language")
        if lang is not None and len(lang.modality_keys) != 1:
            fail(f"{theirs} reads {len(lang.modality_keys)} language keys; the runner gives one instruction")
        self._lang_key = lang.modality_keys[0] if lang is not None else ANNOTATION_KEY
        # what only our server tells: shapes, action dims and bounds, executed steps
        required: dict[str, tuple[int, ...] | None] = {k: None for k in send}
        if info is not None:
            for key, shape in (info.get("required_obs") or {}).items():
                have = tuple(obs_space.spaces[key].shape) if key in obs_space.spaces else None
                if shape is not None and have != tuple(shape):
                    fail(f"{theirs} expects {key} of shape {tuple(shape)}, {ours} gives {have}")
                required[key] = tuple(shape) if shape is not None else None
            for key, a in (info.get("actions") or {}).items():
                if key not in act_space.spaces:
                    continue
                box = act_space.spaces[key]
                if int(a["dim"]) != int(box.shape[0]):
                    fail(f"{theirs} outputs {key} of dim {a['dim']}, {ours} takes dim {box.shape[0]}")
                if not (np.allclose(a["low"], box.low) and np.allclose(a["high"], box.high)):
                    fail(f"{theirs} bounds {key} to [{a['low']}, {a['high']}], {ours} to "
                         f"[{float(np.min(box.low))}, {float(np.max(box.high))}]")
            served_steps = (info.get("policy") or {}).get("n_action_steps")
            if served_steps is not None and served_steps != self.n_action_steps:
                fail(f"the remote card executes {self.n_action_steps} steps per chunk but {theirs} is served with "
                     f"n_action_steps {served_steps}; make them equal")
            sid = info.get("server_id")
            if self.server_id is not None and sid != self.server_id:  # restarted since __init__
                self._same_policy_served()
            self.server_id = sid
        self._send = send
        self._required = required
        self.task = task
        self.action_space = act_space

    def _options(self, slots: np.ndarray) -> dict[str, Any]:
        assert self.task is not None
        return {"client_id": self.client.client_id, "task": self.task.name, "slots": [int(s) for s in slots]}

    def reset(self, slots: np.ndarray, seeds: list[int]) -> None:
        if self.layout == "n15":  # the N1.5-era service has no reset (its policies keep no episode state)
            self.resets += 1
            return
        opts = {**self._options(slots), "seeds": [int(s) for s in seeds]}
        info = self._call(lambda: self.client.reset(opts))
        self.resets += 1
        if isinstance(info, dict):
            self._check_server(info)

    def _observation(self, obs: dict[str, Any]) -> dict[str, Any]:
        lang = [str(s) for s in obs[ANNOTATION_KEY]]
        if self.layout in ("flat", "n15"):
            out: dict[str, Any] = {k: np.ascontiguousarray(obs[k]) for k in self._send}
            out[self._lang_key] = lang
            return out
        nested: dict[str, Any] = {"video": {}, "state": {}, "language": {self._lang_key: [[s] for s in lang]}}
        for k in self._send:
            modality, name = k.split(".", 1)
            nested[modality][name] = np.ascontiguousarray(obs[k])
        return nested

    def get_action(self, obs: dict[str, Any], slots: np.ndarray) -> dict[str, np.ndarray]:
        assert self.task is not None, "bind() first"
        request = self._observation(obs)
        t0 = time.perf_counter()
        action, info = self._call(lambda: self.client.get_action(request, self._options(slots)))
        self.round_trip_s += time.perf_counter() - t0
        self.calls += 1
        self._check_server(info)
        timing = info.get("server_timing")
        if isinstance(timing, dict):
            for k in self.server_ms:
                if isinstance(timing.get(k), (int, float)):
                    self.server_ms[k] += float(timing[k])
        out: dict[str, np.ndarray] = {}
        for key, slot in self.task.actions.items():
            name = key if self.layout in ("flat", "n15") else key.split(".", 1)[1]
            if name not in action and not slot.required:
                continue
            if name not in action:
                raise RemotePolicyError(f"policy server {self.address} returned no {name} (got {', '.join(map(str, action))})")
            out[key] = np.asarray(action[name], dtype=np.float32)
        return out

    def close(self) -> None:
        if self.calls:
            ms = 1e3 / self.calls
            print(f"remote policy {self.address}: {self.calls} calls, round trip {self.round_trip_s * ms:.2f} ms/call "
                  f"(server: policy {self.server_ms['policy_ms'] / self.calls:.2f} ms, queue "
                  f"{self.server_ms['queue_ms'] / self.calls:.2f} ms)", file=sys.stderr, flush=True)
        if not self._gone and self.task is not None and self.layout != "n15":
            try:  # free this client's server-side slots; a silent server is not waited for
                self.client.call("reset", {"options": {"client_id": self.client.client_id, "release": True}},
                                 retries=0, timeout_s=min(1.0, self.client.timeout_s))
            except (ServerError, ServerUnreachable):
                pass
        self.client.close()
