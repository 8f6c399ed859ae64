"""Policy server and remote client over GR00T's ZMQ + msgpack inference protocol.

- `wire`: the message encoding (msgpack; numpy arrays as npy bytes, never pickle), strict on input;
- `server`: the ZMQ server with server-side batching (`PolicyServer`);
- `backend`: serving the project's policy cards without a simulator (`PolicyBackend`);
- `client`: a REQ client with timeouts, reconnects and retries (`PolicyClient`);
- `remote`: the `remote` policy adapter the runner uses like any other;
- `cli`: `scripts/serve_policy.py`.

Modules are imported on use, so the package costs nothing where ZMQ is not installed.
"""
