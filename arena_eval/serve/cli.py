"""`scripts/serve_policy.py`: serve a policy card for the tasks of a suite over ZMQ."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys

from ..errors import UserError


def _shape(text: str) -> tuple[str, tuple[int, ...]]:
    key, sep, dims = text.partition("=")
    try:
        shape = tuple(int(d) for d in dims.split(",") if d.strip())
    except ValueError:
        shape = ()
    if not sep or not key or not shape or min(shape) < 1:
        raise UserError(f"expected KEY=D1,D2,... (e.g. video.ego_view=224,224,3), got {text!r}", field="--obs-shape")
    return key, shape


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    from ..cards import load_policy, load_suite, select_tasks

    p = argparse.ArgumentParser(
        prog="serve_policy.py",
        description="Serve a policy card over ZMQ in GR00T's wire format (GR00T's client works against it).",
    )
    p.add_argument("--policy", required=True, help="policy name in policies/ or a path to a policy card")
    p.add_argument("--suite", required=True, help="suite whose task cards bind the policy (no simulator is started)")
    p.add_argument("--task", default=None, help="comma-separated tasks to serve (default: every task of the suite)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; 0.0.0.0 exposes the server)")
    p.add_argument("--port", type=int, default=5555, help="port (default 5555; 0 picks a free one)")
    p.add_argument("--token", default=None, help="require this api_token (visible in the process list; prefer --token-env)")
    p.add_argument("--token-env", default=None, help="require the api_token held by this environment variable")
    p.add_argument("--max-batch", type=int, default=32, help="rows per batched policy call (1: no batching)")
    p.add_argument("--max-wait-ms", type=float, default=0.0, help="how long a request waits for others to batch with")
    p.add_argument("--max-message-mb", type=float, default=64.0, help="largest accepted message")
    p.add_argument("--obs-shape", action="append", default=[], metavar="KEY=D1,D2",
                   help="per-step shape of an observation the task card does not fix (repeatable)")
    p.add_argument("--no-kill", action="store_true", help="refuse the kill endpoint")
    p.add_argument("--wire", choices=["current", "n15"], default="current",
                   help="wire format: GR00T's current one, or its N1.5-era msgpack service (never its pickle variant)")
    p.add_argument("--max-clients", type=int, default=1024,
                   help="clients whose per-client state is kept; the least recently seen are forgotten first")
    p.add_argument("--quiet", action="store_true", help="do not log error replies")
    args = p.parse_args(argv)

    if args.max_batch < 1:
        raise UserError(f"expected an integer >= 1, got {args.max_batch}", field="--max-batch")
    if args.max_wait_ms < 0:
        raise UserError(f"expected a number >= 0, got {args.max_wait_ms}", field="--max-wait-ms")
    if not args.max_message_mb > 0:
        raise UserError(f"expected a number > 0, got {args.max_message_mb}", field="--max-message-mb")
    if args.max_clients < 1:
        raise UserError(f"expected an integer >= 1, got {args.max_clients}", field="--max-clients")
    if not 0 <= args.port < 65536:
        raise UserError(f"expected a port number, got {args.port}", field="--port")
    token = args.token
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise UserError(f"environment variable {args.token_env} is not set", field="--token-env")
    shapes = dict(_shape(s) for s in args.obs_shape)

    from .backend import PolicyBackend
    from .server import PolicyServer, ServerConfig, default_log

    spec = load_policy(args.policy)
    suite = select_tasks(load_suite(args.suite), [t for t in args.task.split(",") if t] if args.task else None)
    backend = PolicyBackend.from_card(spec, list(suite.tasks), shapes)
    cfg = ServerConfig(
        host=args.host, port=args.port, api_token=token, max_batch=args.max_batch, max_wait_ms=args.max_wait_ms,
        max_message_bytes=int(args.max_message_mb * 1024 * 1024), allow_kill=not args.no_kill,
        wire=args.wire, max_clients=args.max_clients,
    )
    server = PolicyServer(backend, cfg, log=None if args.quiet else default_log)
    try:
        endpoint = server.bind()
    except OSError as e:
        raise UserError(str(e), field="--host/--port") from None
    if not _loopback(args.host) and not token:
        print(f"warning: {endpoint} is reachable from other machines and needs no token (--token-env)", file=sys.stderr)
    unbound = [f"{n} (needs {', '.join(st.missing)})" for n, st in backend.served.items() if not st.bound]
    print(f"serving policy {spec.name!r} ({spec.type}) for {', '.join(backend.served)}; batching up to "
          f"{cfg.max_batch} rows, wait {cfg.max_wait_ms:g} ms; token {'required' if token else 'none'}"
          + (f"; bound on the first client's describe: {'; '.join(unbound)}" if unbound else ""), file=sys.stderr)
    print(f"listening on {endpoint}", flush=True)  # tools wait for this line

    def stop(signum: int, frame: object) -> None:
        server.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    st = server.stats
    print(f"stopped: {st['requests']} requests, {st['errors']} errors, {st['policy_calls']} policy calls "
          f"serving {st['batched_requests']} get_action requests ({st['rows']} rows)", file=sys.stderr)
    return 0
