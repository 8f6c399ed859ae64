"""The policy server: GR00T's ZMQ request/reply service with server-side batching.

Protocol (GR00T's, see `wire.py` for the encoding): a client sends one msgpack request
`{"endpoint": str, "data": ..., "api_token": str?}` and receives one reply. Endpoints:

- `ping` -> `{"status": "ok", "message": ...}`;
- `get_modality_config` -> `{modality: ModalityConfig}` (video, state, action, language;
  modalities without keys are left out, as GR00T's ModalityConfig requires keys);
- `get_action`, data `{"observation": {...}, "options": {...} | null}` -> `[action, info]`;
  the observation has flat keys (`video.<cam>`, `state.<key>`, the language key; GR00T's sim
  wrapper layout, returned `action.<key>`) or GR00T's nested layout (`{"video": {...},
  "state": {...}, "language": {...}}`, returned bare action keys);
  `info["server_timing"]` holds queue and policy milliseconds and the batch the request joined;
- `reset`, data `{"options": ...}` -> info dict;
- `kill` -> the server replies and stops after serving what is queued;
- `describe` (ours; GR00T servers answer it with an error) -> the served policy, task,
  observation shapes and action bounds, so a client can check a task before its first episode;
- `identity` (ours) -> what is served (policy card fields, checkpoint content hash, each
  task's keys) and the server id, which a run's manifest records and `--resume` checks.

Any failure replies `{"error": "<one line>"}` and the server keeps serving: an undecodable or
oversized message, a wrong token ("Unauthorized: Invalid API token", GR00T's text), an unknown
endpoint, an invalid observation, a policy exception.

Batching: the socket is a ROUTER, so many REQ clients (ours or GR00T's) can have a request
queued at once. `get_action` requests for the same task that arrive within `max_wait_ms` of
the first are served by one policy call of up to `max_batch` rows (a larger request is served
alone; `max_batch: 1` turns batching off). The server does not wait for clients that cannot
send: when every client seen recently already has a request queued, the batch goes at once,
so a single runner pays no waiting. Everything runs on one thread: requests queue in ZMQ
while the policy computes. Joining rows of different clients changes none of their actions
where the policy is batch invariant, as the GR00T adapters are by default (backend.py).

Wire formats (`ServerConfig.wire`): "current" is the above; "n15" speaks GR00T's N1.5-era
service for its clients: `get_action` data is the observation itself and the reply the
action dict, modality configs travel with `as_json` as a JSON string (see wire.py). Requests
then carry no client id: per-client state is keyed by the ZMQ peer.

Per-client state (slots, stored replies) of clients that never send `release` is freed: the
backend keeps at most `max_clients` clients, forgetting the least recently seen first.

Retries: our client tags requests with `options.client_id` and `options.request_id`; a
repeated `get_action` (a retry after a client-side timeout) gets the stored reply instead of
being computed twice, so stateful policies do not advance twice.
"""

from __future__ import annotations

import dataclasses
import hmac
import os
import sys
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import zmq

from . import wire
from .wire import WireError, one_line

PROTOCOL = "arena-eval-serve/1"
UNAUTHORIZED = "Unauthorized: Invalid API token"
_DEDUP_CLIENTS = 1024  # clients whose last reply is kept for retries


@dataclasses.dataclass
class Prepared:
    """A validated get_action request: requests with the same `key` can share a policy call."""

    key: Any
    rows: int
    payload: Any


class Backend(Protocol):
    """What the server serves; `backend.PolicyBackend` serves the project's policy cards."""

    def modality_config(self, options: dict[str, Any] | None) -> dict[str, wire.ModalityConfig]: ...

    def describe(self, options: dict[str, Any] | None) -> dict[str, Any]: ...

    def identity(self) -> dict[str, Any]: ...

    def reset(self, options: dict[str, Any] | None, peer: str) -> dict[str, Any]: ...

    def prepare(self, observation: Any, options: dict[str, Any] | None, peer: str) -> Prepared: ...

    def run(self, batch: list[Prepared]) -> list[dict[str, np.ndarray]]: ...


@dataclasses.dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5555  # 0: any free port (see PolicyServer.endpoint)
    api_token: str | None = None
    max_batch: int = 32  # rows per policy call; 1 disables batching
    max_wait_ms: float = 0.0  # how long a request may wait for others to join its batch
    max_message_bytes: int = wire.DEFAULT_MAX_MESSAGE_BYTES
    allow_kill: bool = True
    wire: str = wire.WIRE_CURRENT  # or wire.WIRE_N15
    max_clients: int = 1024  # clients whose slots are kept; the least recently seen go first


@dataclasses.dataclass
class _Pending:
    envelope: list[bytes]
    peer: bytes
    client_id: str | None
    request_id: Any
    item: Prepared
    t_recv: float


class PolicyServer:
    def __init__(self, backend: Backend, config: ServerConfig | None = None, log: Callable[[str], None] | None = None):
        self.backend = backend
        self.config = config or ServerConfig()
        self.server_id = uuid.uuid4().hex[:12]  # clients notice a restarted server (lost state) by it
        self.endpoint: str | None = None
        self.stats = {"requests": 0, "errors": 0, "policy_calls": 0, "batched_requests": 0, "rows": 0}
        self._log = log or (lambda msg: None)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._bind_error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._ctx: zmq.Context | None = None
        self._sock: zmq.Socket | None = None
        self._pending: list[_Pending] = []
        self._active: dict[bytes, float] = {}  # peer -> last get_action time
        self._replies: OrderedDict[str, tuple[Any, bytes]] = OrderedDict()  # client_id -> (request_id, reply)

    # ------------------------------------------------------------------ lifecycle

    def bind(self) -> str:
        cfg = self.config
        self._ctx = zmq.Context()
        sock = self._ctx.socket(zmq.ROUTER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.MAXMSGSIZE, cfg.max_message_bytes * wire.HARD_LIMIT_FACTOR)
        try:
            if cfg.port == 0:
                port = sock.bind_to_random_port(f"tcp://{cfg.host}")
            else:
                sock.bind(f"tcp://{cfg.host}:{cfg.port}")
                port = cfg.port
        except zmq.ZMQError as e:
            sock.close(0)
            self._ctx.term()
            raise OSError(f"cannot bind tcp://{cfg.host}:{cfg.port}: {e}") from None
        self._sock = sock
        self.endpoint = f"tcp://{cfg.host}:{port}"
        return self.endpoint

    def serve_forever(self) -> None:
        """Serve until `kill` or `stop()`; requests already queued are answered first."""
        if self._sock is None:
            self.bind()
        self._ready.set()
        sock = self._sock
        assert sock is not None
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        try:
            while not self._stop.is_set() or self._pending:
                timeout = self._dispatch(force=self._stop.is_set())
                if self._stop.is_set():
                    continue
                if poller.poll(100 if timeout is None else max(0, int(timeout * 1000 + 0.5))):
                    self._drain(sock)
        finally:
            sock.close(0)
            if self._ctx is not None:
                self._ctx.term()
            self._sock = None

    def stop(self) -> None:
        self._stop.set()

    def start_in_thread(self) -> str:
        """Serve from a daemon thread (tests, benchmarks); returns the bound endpoint."""

        def run() -> None:
            try:
                self.bind()
            except BaseException as e:  # reported to the starting thread
                self._bind_error = e
                self._ready.set()
                return
            self.serve_forever()

        self._thread = threading.Thread(target=run, name="policy-server", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._bind_error is not None:
            raise self._bind_error
        assert self.endpoint is not None
        return self.endpoint

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    # ------------------------------------------------------------------ receiving

    def _drain(self, sock: zmq.Socket) -> None:
        while True:
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._handle(frames)

    def _send(self, envelope: list[bytes], payload: bytes) -> None:
        assert self._sock is not None
        try:
            self._sock.send_multipart([*envelope, payload], zmq.NOBLOCK)
        except zmq.ZMQError:  # the peer is gone or its queue is full; it will time out
            pass

    def _send_error(self, envelope: list[bytes], text: str) -> None:
        self.stats["errors"] += 1
        self._log(f"error reply: {text}")
        self._send(envelope, wire.encode({"error": one_line(text)}, None))

    def _handle(self, frames: list[bytes]) -> None:
        self.stats["requests"] += 1
        peer = frames[0]
        # REQ clients put an empty delimiter before the body; DEALER clients may not.
        envelope = frames[:2] if len(frames) >= 2 and frames[1] == b"" else frames[:1]
        body = frames[len(envelope):]
        if len(body) != 1:
            self._send_error(envelope, f"expected one message frame, got {len(body)}")
            return
        payload = body[0]
        limit = self.config.max_message_bytes
        try:
            request = wire.decode(payload, limit)
        except WireError as e:
            self._send_error(envelope, str(e))
            return
        if not isinstance(request, dict):
            self._send_error(envelope, f"malformed request: expected a map, got {type(request).__name__}")
            return
        if not self._authorized(request):
            self._send_error(envelope, UNAUTHORIZED)
            return
        endpoint = request.get("endpoint", "get_action")  # GR00T's default
        data = request.get("data")
        if endpoint == "get_action" and self.config.wire == wire.WIRE_N15:
            data = {"observation": data, "options": None}
        try:
            if endpoint == "get_action":
                self._queue_action(envelope, peer, data)
                return
            reply = self._call(endpoint, data, peer)
        except (WireError, RequestError) as e:
            self._send_error(envelope, str(e))
            return
        except Exception as e:  # a fault behind one request must not stop the server
            self._send_error(envelope, f"{type(e).__name__}: {one_line(e)}")
            return
        try:
            self._send(envelope, wire.encode(reply, limit, self.config.wire))
        except WireError as e:
            self._send_error(envelope, f"cannot encode reply: {e}")
        self._expire()

    def _expire(self) -> None:
        """Forget the least recently seen clients beyond `max_clients` (one-shot clients never
        send `release`; without this their slots would accumulate for the server's lifetime)."""
        expire = getattr(self.backend, "expire", None)
        if expire is not None:
            for client in expire(self.config.max_clients):
                self._replies.pop(client, None)

    def _authorized(self, request: dict[str, Any]) -> bool:
        expected = self.config.api_token
        if expected is None:
            return True
        given = request.get("api_token")
        return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())

    def _call(self, endpoint: Any, data: Any, peer: bytes) -> Any:
        options = data.get("options") if isinstance(data, dict) else None
        if options is not None and not isinstance(options, dict):
            raise RequestError(f"options must be a map or null, got {type(options).__name__}")
        if endpoint == "ping":
            return {"status": "ok", "message": "Server is running"}
        if endpoint == "get_modality_config":
            return self.backend.modality_config(options)
        if endpoint == "identity":
            return {**self.backend.identity(), "server_id": self.server_id}
        if endpoint == "describe":
            info = self.backend.describe(options)
            cfg = self.config
            info.update(protocol=PROTOCOL, server_id=self.server_id,
                        batching={"max_batch": cfg.max_batch, "max_wait_ms": cfg.max_wait_ms},
                        max_message_bytes=cfg.max_message_bytes)
            return info
        if endpoint == "reset":
            if not isinstance(data, dict):
                raise RequestError("reset expects data {'options': ...}")
            out = self.backend.reset(options, peer.hex())
            if options and options.get("release") and isinstance(options.get("client_id"), str):
                self._replies.pop(options["client_id"], None)
            return {**out, "server_id": self.server_id}
        if endpoint == "kill":
            if not self.config.allow_kill:
                raise RequestError("this server does not accept kill")
            self._stop.set()
            return {"status": "ok", "message": "Server is stopping"}
        raise RequestError(f"Unknown endpoint: {one_line(endpoint, 80)}")

    def _queue_action(self, envelope: list[bytes], peer: bytes, data: Any) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("observation"), dict):
            raise RequestError("get_action expects data {'observation': {...}, 'options': {...} or null}")
        options = data.get("options")
        if options is not None and not isinstance(options, dict):
            raise RequestError(f"options must be a map or null, got {type(options).__name__}")
        client_id = options.get("client_id") if options else None
        request_id = options.get("request_id") if options else None
        client_id = client_id if isinstance(client_id, str) else None
        if client_id is not None and request_id is not None:
            done = self._replies.get(client_id)
            if done is not None and done[0] == request_id:  # a retry of an answered request
                self._send(envelope, done[1])
                return
            for p in self._pending:
                if p.client_id == client_id and p.request_id == request_id:  # a retry of a queued one
                    p.envelope, p.peer = envelope, peer
                    return
        item = self.backend.prepare(data["observation"], options, peer.hex())
        self._expire()
        now = time.perf_counter()
        self._active[peer] = now
        self._pending.append(_Pending(envelope, peer, client_id, request_id, item, now))

    # ------------------------------------------------------------------ batching

    def _dispatch(self, force: bool) -> float | None:
        """Serve every batch that is ready; return seconds until the next may be, or None."""
        cfg = self.config
        wait_s = cfg.max_wait_ms / 1000.0
        while self._pending:
            now = time.perf_counter()
            idle = max(1.0, 20 * wait_s)  # a client silent this long is not waited for
            self._active = {p: t for p, t in self._active.items() if now - t < idle}
            queued = {p.peer for p in self._pending}
            others_idle = all(p in queued for p in self._active)
            next_deadline = None
            served = False
            for key in list(dict.fromkeys(p.item.key for p in self._pending)):
                group = [p for p in self._pending if p.item.key == key]
                rows = sum(p.item.rows for p in group)
                deadline = group[0].t_recv + wait_s
                if force or cfg.max_batch <= 1 or rows >= cfg.max_batch or now >= deadline or others_idle:
                    self._serve(self._take(group))
                    served = True
                    break
                next_deadline = deadline if next_deadline is None else min(next_deadline, deadline)
            if not served:
                return None if next_deadline is None else max(0.0, next_deadline - now)
        return None

    def _take(self, group: list[_Pending]) -> list[_Pending]:
        batch, rows = [group[0]], group[0].item.rows
        if self.config.max_batch > 1:
            for p in group[1:]:
                if rows + p.item.rows <= self.config.max_batch:
                    batch.append(p)
                    rows += p.item.rows
        taken = {id(p) for p in batch}
        self._pending = [p for p in self._pending if id(p) not in taken]
        return batch

    def _serve(self, batch: list[_Pending]) -> None:
        t0 = time.perf_counter()
        try:
            actions = self.backend.run([p.item for p in batch])
            error = None
        except Exception as e:
            actions, error = [], f"policy error: {type(e).__name__}: {one_line(e)}"
        t1 = time.perf_counter()
        self.stats["policy_calls"] += 1
        self.stats["batched_requests"] += len(batch)
        rows = sum(p.item.rows for p in batch)
        self.stats["rows"] += rows
        for i, p in enumerate(batch):
            if error is not None:
                self._send_error(p.envelope, error)
                continue
            info = {
                "server_id": self.server_id,
                "server_timing": {
                    "queue_ms": round((t0 - p.t_recv) * 1e3, 3),
                    "policy_ms": round((t1 - t0) * 1e3, 3),
                    "batch_requests": len(batch),
                    "batch_rows": rows,
                },
            }
            body = actions[i] if self.config.wire == wire.WIRE_N15 else [actions[i], info]
            try:
                reply = wire.encode(body, self.config.max_message_bytes, self.config.wire)
            except WireError as e:
                self._send_error(p.envelope, f"cannot encode reply: {e}")
                continue
            if p.client_id is not None and p.request_id is not None:
                self._replies[p.client_id] = (p.request_id, reply)
                self._replies.move_to_end(p.client_id)
                while len(self._replies) > _DEDUP_CLIENTS:
                    self._replies.popitem(last=False)
            self._send(p.envelope, reply)


class RequestError(ValueError):
    """A request the server understood but cannot serve (the text goes to the client)."""


def default_log(msg: str) -> None:
    print(f"[serve {time.strftime('%H:%M:%S')} pid {os.getpid()}] {msg}", file=sys.stderr, flush=True)
