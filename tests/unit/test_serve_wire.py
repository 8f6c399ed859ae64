"""The wire format: GR00T's msgpack encoding, strict decoding, never pickle."""

from __future__ import annotations

import io
import pickle

import msgpack
import numpy as np
import pytest

from arena_eval.serve import wire
from arena_eval.serve.wire import ModalityConfig, WireError


def npy(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def test_arrays_travel_as_gr00t_npy_maps():
    arr = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    raw = msgpack.unpackb(wire.encode({"a": arr}))  # what any msgpack reader sees
    assert raw["a"]["__ndarray_class__"] is True
    back = np.load(io.BytesIO(raw["a"]["as_npy"]), allow_pickle=False)
    assert back.dtype == np.float32 and np.array_equal(back, arr)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "float16", "float32", "float64"])
def test_round_trip_whitelisted_dtypes(dtype):
    arr = (np.arange(24).reshape(2, 3, 4) % 2 if dtype == "bool" else np.arange(24).reshape(2, 3, 4)).astype(dtype)
    msg = {"obs": {"x": arr, "f": np.asfortranarray(arr)}, "list": ["a", 1, 2.5, None], "scalar": np.float32(1.5)}
    out = wire.decode(wire.encode(msg))
    for k in ("x", "f"):
        assert out["obs"][k].dtype == arr.dtype and np.array_equal(out["obs"][k], arr)
    assert out["list"] == ["a", 1, 2.5, None] and out["scalar"] == 1.5


def test_modality_config_travels_as_gr00t_map():
    mc = ModalityConfig([0, 1, 2], ["left_arm", "waist"])
    raw = msgpack.unpackb(wire.encode({"action": mc}))
    assert raw["action"] == {
        "__ModalityConfig_class__": True,
        "as_json": {"delta_indices": [0, 1, 2], "modality_keys": ["left_arm", "waist"], "sin_cos_embedding_keys": None,
                    "mean_std_embedding_keys": None, "action_configs": None},
    }
    assert wire.decode(wire.encode({"action": mc}))["action"] == mc


@pytest.mark.parametrize("arr", [np.array(["text"]), np.zeros(2, dtype=[("a", "f4"), ("b", "i4")]), np.zeros(2, np.complex64)])
def test_non_numeric_dtypes_are_refused_both_ways(arr):
    with pytest.raises(WireError, match="not allowed"):
        wire.encode({"x": arr})
    forged = msgpack.packb({"x": {"__ndarray_class__": True, "as_npy": npy(arr)}})
    with pytest.raises(WireError, match="not allowed"):
        wire.decode(forged)


def test_pickled_object_array_is_never_unpickled(tmp_path):
    canary = tmp_path / "unpickled"

    class Bomb:
        def __reduce__(self):
            return (open, (str(canary), "w"))

    payload = npy(np.array([Bomb()], dtype=object), allow_pickle=True)
    with pytest.raises(WireError, match="not allowed"):
        wire.decode(msgpack.packb({"x": {"__ndarray_class__": True, "as_npy": payload}}))
    assert not canary.exists()
    # a whole pickled message is not msgpack either
    with pytest.raises(WireError, match="malformed"):
        wire.decode(pickle.dumps({"endpoint": "ping", "bomb": Bomb()}))
    assert not canary.exists()


def test_npy_header_must_match_payload():
    good = npy(np.zeros((4, 4), np.float32))
    with pytest.raises(WireError, match="payload has"):
        wire.decode(msgpack.packb({"x": {"__ndarray_class__": True, "as_npy": good[:-8]}}))
    # a header claiming a huge array is refused before numpy allocates it
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }"
    header += b" " * (118 - len(header)) + b"\n"
    lying = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 16
    with pytest.raises(WireError, match="header says"):
        wire.decode(msgpack.packb({"x": {"__ndarray_class__": True, "as_npy": lying}}))
    for bad in (b"not npy at all", 42):
        with pytest.raises(WireError):
            wire.decode(msgpack.packb({"x": {"__ndarray_class__": True, "as_npy": bad}}))


def test_size_limit_and_garbage():
    big = {"x": np.zeros(1000, np.float64)}
    data = wire.encode(big)
    with pytest.raises(WireError, match="exceeds the limit"):
        wire.decode(data, max_bytes=len(data) - 1)
    with pytest.raises(WireError, match="exceeds the limit"):
        wire.encode(big, max_bytes=100)
    assert wire.decode(data, max_bytes=len(data))["x"].shape == (1000,)
    for garbage in (b"\xc1", b"\x92\x01", b"\x81\x01\x02", b"\xff" * 10):
        with pytest.raises(WireError):
            wire.decode(garbage)


def _arrays():
    rng = np.random.default_rng(0)
    yield rng.normal(size=(4, 1, 7)).astype(np.float32)
    yield rng.integers(0, 255, size=(2, 1, 8, 6, 3), dtype=np.uint8)
    yield np.asfortranarray(rng.normal(size=(3, 5)))
    yield rng.normal(size=(6, 4)).astype(np.float16)[::2, ::-1]  # neither C nor F contiguous
    yield np.array(3.5, np.float64)  # 0-d
    yield np.zeros((0, 3), np.int64)
    yield np.arange(5, dtype=">i4")  # big-endian
    yield rng.random(7) > 0.5
    yield np.arange(2 * 3 * 4, dtype=np.uint16).reshape(2, 3, 4).transpose(2, 0, 1)
    yield rng.integers(0, 255, size=(2, 1, 120, 160, 3), dtype=np.uint8)  # big: built in one buffer
    yield np.asfortranarray(rng.normal(size=(200, 300)))
    yield rng.normal(size=(300, 200))[::2].astype(np.float32)


@pytest.mark.parametrize("arr", list(_arrays()), ids=lambda a: f"{a.dtype.str}{list(a.shape)}")
def test_npy_bytes_equal_np_save_and_decode_equals_np_load(arr):
    assert wire.encode_npy(arr) == npy(arr)  # byte for byte what GR00T's encoder sends
    for data in (npy(arr), wire.encode_npy(arr)):
        ref = np.load(io.BytesIO(data), allow_pickle=False)
        got = wire.decode_npy(data)
        assert got.dtype == ref.dtype and got.shape == ref.shape and np.array_equal(got, ref)
        assert got.flags.writeable and got.flags.f_contiguous == ref.flags.f_contiguous
    # a header in another layout (format 2.0) goes through numpy's header reader
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=(2, 0), allow_pickle=False)
    assert np.array_equal(wire.decode_npy(buf.getvalue()), arr)
