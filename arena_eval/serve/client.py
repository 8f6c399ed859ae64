"""Our client of GR00T's policy service: a REQ socket with timeouts, reconnects and retries.

GR00T's own client blocks forever when the server dies. This one waits at most `timeout_s`
for each attempt; after a timeout the REQ socket is stuck (it may not send again before it
receives), so it is closed and a new one connects, and the same request is sent again, up to
`retries` more times. Then `ServerUnreachable` says so. An `{"error": ...}` reply raises
`ServerError` carrying the server's one-line cause. Not thread-safe: one client per thread.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import zmq

from . import wire
from .wire import ModalityConfig, one_line


class ServerError(RuntimeError):
    """The server replied with an error; `cause` is its one-line text."""

    def __init__(self, address: str, cause: str):
        self.address = address
        self.cause = cause
        super().__init__(f"policy server {address}: {cause}")


class ServerUnreachable(ConnectionError):
    """No reply within the timeout, after every retry."""


class PolicyClient:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 5555,
        *,
        timeout_s: float = 30.0,
        retries: int = 2,
        api_token: str | None = None,
        max_message_bytes: int = wire.DEFAULT_MAX_MESSAGE_BYTES,
        client_id: str | None = None,
        wire_format: str = "current",
    ):
        """`wire_format`: "current" (GR00T's main branch) or "n15" (its N1.5-era service: get_action
        sends the observation as `data` and gets the action dict back; no reset)."""
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        if wire_format not in wire.WIRES:
            raise ValueError(f"wire_format must be one of {wire.WIRES}, got {wire_format!r}")
        self.wire_format = wire_format
        self.host, self.port = host, int(port)
        self.address = f"tcp://{host}:{self.port}"
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.api_token = api_token
        self.max_message_bytes = max_message_bytes
        # Server-side policy state is keyed by this id, so several runners never collide.
        self.client_id = client_id or uuid.uuid4().hex
        self._request_ids = itertools.count()
        self._ctx = zmq.Context()
        self._sock: zmq.Socket | None = None
        self.reconnects = 0

    # ------------------------------------------------------------------ transport

    def _socket(self) -> zmq.Socket:
        if self._sock is None:
            s = self._ctx.socket(zmq.REQ)
            ms = max(1, int(self.timeout_s * 1000))
            s.setsockopt(zmq.RCVTIMEO, ms)
            s.setsockopt(zmq.SNDTIMEO, ms)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes * wire.HARD_LIMIT_FACTOR)
            s.connect(self.address)
            self._sock = s
        return self._sock

    def _drop_socket(self) -> None:
        if self._sock is not None:
            self._sock.close(0)
            self._sock = None

    def call(
        self, endpoint: str, data: Any = None, *, requires_input: bool = True, retries: int | None = None,
        timeout_s: float | None = None,
    ) -> Any:
        """One request/reply; `requires_input=False` sends no `data` (GR00T's ping, kill,
        get_modality_config). `retries` and `timeout_s` override the client's for this call."""
        request: dict[str, Any] = {"endpoint": endpoint}
        if requires_input:
            request["data"] = data
        if self.api_token:
            request["api_token"] = self.api_token
        payload = wire.encode(request, self.max_message_bytes)
        attempts = 1 + (self.retries if retries is None else retries)
        wait_s = self.timeout_s if timeout_s is None else timeout_s
        for attempt in range(attempts):
            sock = self._socket()
            if timeout_s is not None:
                sock.setsockopt(zmq.RCVTIMEO, max(1, int(wait_s * 1000)))
                sock.setsockopt(zmq.SNDTIMEO, max(1, int(wait_s * 1000)))
            try:
                sock.send(payload)
                reply = sock.recv()
                if timeout_s is not None:  # back to the client's own timeouts
                    ms = max(1, int(self.timeout_s * 1000))
                    sock.setsockopt(zmq.RCVTIMEO, ms)
                    sock.setsockopt(zmq.SNDTIMEO, ms)
                break
            except zmq.Again:
                self._drop_socket()
                if attempt + 1 < attempts:
                    self.reconnects += 1
        else:
            raise ServerUnreachable(
                f"no reply from policy server {self.address} to {endpoint!r} within {wait_s:g} s "
                f"({attempts} attempt{'s' if attempts > 1 else ''})"
            )
        if reply == b"ERROR":  # GR00T's older servers
            raise ServerError(self.address, "ERROR")
        try:
            response = wire.decode(reply, self.max_message_bytes)
        except wire.WireError as e:
            raise ServerError(self.address, f"bad reply: {e}") from None
        if isinstance(response, dict) and "error" in response:
            raise ServerError(self.address, one_line(response["error"]))
        return response

    def close(self) -> None:
        self._drop_socket()
        self._ctx.term()

    def __enter__(self) -> PolicyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ endpoints

    def ping(self) -> bool:
        """True when the server answers; False when it does not (ServerError on an error reply)."""
        try:
            self.call("ping", requires_input=False)
            return True
        except ServerUnreachable:
            return False

    def get_modality_config(self, options: dict[str, Any] | None = None) -> dict[str, ModalityConfig]:
        # GR00T's server ignores data here; ours reads options.task from it.
        if options is None:
            out = self.call("get_modality_config", requires_input=False)
        else:
            out = self.call("get_modality_config", {"options": options})
        if not isinstance(out, dict) or not all(isinstance(v, ModalityConfig) for v in out.values()):
            raise ServerError(self.address, "bad reply to get_modality_config: expected a map of modality configs")
        return out

    def describe(self, options: dict[str, Any] | None = None) -> dict[str, Any]:
        out = self.call("describe", {"options": options})
        if not isinstance(out, dict):
            raise ServerError(self.address, "bad reply to describe: expected a map")
        return out

    def get_action(self, observation: dict[str, Any], options: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """`[action, info]` as a tuple. With `options.client_id` set, a request id is added so
        the server answers a retried request from its stored reply instead of computing it twice."""
        if self.wire_format == wire.WIRE_N15:  # the observation is the data; the reply the action
            out = self.call("get_action", observation)
            if not isinstance(out, dict):
                raise ServerError(self.address, "bad reply to get_action: expected the action map")
            return out, {}
        if options is not None and "client_id" in options:
            options = {**options, "request_id": next(self._request_ids)}
        out = self.call("get_action", {"observation": observation, "options": options})
        if not isinstance(out, (list, tuple)) or len(out) != 2 or not isinstance(out[0], dict) or not isinstance(out[1], dict):
            raise ServerError(self.address, "bad reply to get_action: expected [action, info]")
        return out[0], out[1]

    def reset(self, options: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call("reset", {"options": options})

    def kill_server(self) -> None:
        self.call("kill", requires_input=False, retries=0)
