"""GR00T's policy-service wire format (msgpack), decoded defensively.

The format is that of GR00T's current `gr00t/policy/server_client.py`, so GR00T's own client
and server interoperate with ours:

- a message is one msgpack document; a request is `{"endpoint": str, "data": ..., "api_token": str?}`;
- a numpy array is the map `{"__ndarray_class__": true, "as_npy": <bytes of np.save(arr, allow_pickle=False)>}`,
  decoded with `np.load(..., allow_pickle=False)`;
- a modality config is `{"__ModalityConfig_class__": true, "as_json": {delta_indices, modality_keys, ...}}`.

The N1.5-era variant (`WIRE_N15`, GR00T's inference service at its N1.5 release) differs:
`as_json` holds the modality config as a JSON *string*; `get_action`'s `data` is the
observation itself and the reply is the action dict (no `[action, info]`); there is no
`reset`. Both forms of `as_json` are decoded; which one is written is the caller's choice.
The N1.5 release's first variant serialised with torch.save/pickle and is never spoken.

On top of the format, decoding is strict: a message longer than the limit is refused before it
is parsed; an array must have a whitelisted plain numeric dtype (no object, string, void or
structured dtypes) and a header whose shape matches its payload, checked before numpy
allocates anything. Nothing here, nor anywhere in the package, uses pickle.

Arrays are written and read without np.save/np.load's file-object machinery, which costs
0.1-1.5 ms per array: `encode_npy` produces the very bytes np.save(allow_pickle=False) writes,
and `decode_npy` returns what np.load(allow_pickle=False) returns (the tests check both);
headers not in np.save's own layout are parsed by numpy's header reader.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
from typing import Any

import msgpack
import numpy as np
import numpy.lib.format as npy_format

NDARRAY_TAG = "__ndarray_class__"
WIRE_CURRENT, WIRE_N15 = "current", "n15"
WIRES = (WIRE_CURRENT, WIRE_N15)
MODALITY_TAG = "__ModalityConfig_class__"

DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# ZMQ drops (without a reply) inbound messages above this multiple of the limit, so a huge
# message cannot exhaust memory; between 1x and this, the peer gets an error reply.
HARD_LIMIT_FACTOR = 4

# Plain numeric dtypes only (either byte order): what observations and actions need, nothing
# numpy would build from arbitrary objects.
ALLOWED_DTYPES: frozenset[np.dtype] = frozenset(
    np.dtype(t).newbyteorder("<")
    for t in ("bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "float16", "float32", "float64")
)
_MAX_NDIM = 16


class WireError(ValueError):
    """A message that is not valid in the wire format (the text is one line)."""


def one_line(text: object, limit: int = 500) -> str:
    """First line of a message, capped, so errors stay one line on both sides."""
    s = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return s if len(s) <= limit else s[: limit - 3] + "..."


@dataclasses.dataclass
class ModalityConfig:
    """GR00T's ModalityConfig, as it travels: which keys a modality has and which time
    offsets the policy reads (`delta_indices`; for `action`, its length is the horizon).

    Only GR00T's own fields are sent, since GR00T's client builds its dataclass from them."""

    delta_indices: list[int]
    modality_keys: list[str]
    sin_cos_embedding_keys: list[str] | None = None
    mean_std_embedding_keys: list[str] | None = None
    action_configs: list[Any] | None = None  # kept verbatim (GR00T's enums travel by name)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> ModalityConfig:
        if isinstance(data, str):  # the N1.5-era form: a JSON string
            import json

            try:
                data = json.loads(data)
            except ValueError as e:
                raise WireError(f"modality config: as_json is not valid JSON ({one_line(e, 120)})") from None
        if not isinstance(data, dict):
            raise WireError(f"modality config: expected a map, got {type(data).__name__}")
        di, mk = data.get("delta_indices"), data.get("modality_keys")
        if not isinstance(di, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in di):
            raise WireError(f"modality config: delta_indices must be a list of integers, got {di!r:.80}")
        if not isinstance(mk, list) or not all(isinstance(k, str) for k in mk):
            raise WireError(f"modality config: modality_keys must be a list of strings, got {mk!r:.80}")
        opt = {}
        for name in ("sin_cos_embedding_keys", "mean_std_embedding_keys", "action_configs"):
            v = data.get(name)
            if v is not None and not isinstance(v, list):
                raise WireError(f"modality config: {name} must be a list or null")
            opt[name] = v
        return cls(list(di), list(mk), **opt)


# ---------------------------------------------------------------------------------------
# numpy arrays as npy bytes


def check_dtype(dtype: np.dtype) -> None:
    if dtype.fields is not None or dtype.subdtype is not None or dtype.newbyteorder("<") not in ALLOWED_DTYPES:
        raise WireError(f"array dtype {dtype.str!r} is not allowed (allowed: bool, [u]int8-64, float16/32/64)")


def encode_npy(arr: np.ndarray) -> bytes | bytearray:
    """The bytes `np.save(arr, allow_pickle=False)` writes (format 1.0), built in one buffer:
    np.save streams through a file object and is about ten times slower for camera frames."""
    check_dtype(arr.dtype)
    fortran = bool(arr.flags.f_contiguous and not arr.flags.c_contiguous)
    header = f"{{'descr': {npy_format.dtype_to_descr(arr.dtype)!r}, 'fortran_order': {fortran!r}, 'shape': {arr.shape!r}, }}"
    pad = -(len(_MAGIC_1_0) + 2 + len(header) + 1) % _ALIGN
    head = _MAGIC_1_0 + (len(header) + pad + 1).to_bytes(2, "little") + (header + " " * pad + "\n").encode("latin1")
    if arr.nbytes < 1 << 16:
        return head + arr.tobytes("F" if fortran else "C")
    # One allocation for big arrays (each fresh large buffer costs page faults).
    out = bytearray(len(head) + arr.nbytes)
    out[: len(head)] = head
    src = np.ascontiguousarray(arr.T if fortran else arr)  # F order is the transpose's C order
    np.frombuffer(out, np.uint8, offset=len(head))[:] = src.reshape(-1).view(np.uint8)
    return out


_MAGIC_1_0 = b"\x93NUMPY\x01\x00"
_ALIGN = 64
# np.save's own header layout; anything else goes through numpy's (slower) header parser.
_HEADER_RE = re.compile(rb"\{'descr': '([<>|=][a-z][0-9]{1,2})', 'fortran_order': (True|False), 'shape': \(([0-9, ]*)\), \} *\n")


def _parse_header(data: bytes) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran_order, dtype, offset of the data) of npy bytes, without evaluating them."""
    m = _HEADER_RE.fullmatch(data, 10, 10 + int.from_bytes(data[8:10], "little")) if data[:8] == _MAGIC_1_0 and len(data) >= 10 else None
    if m is not None:
        dims = [d.strip() for d in m.group(3).split(b",")]
        if dims and dims[-1] == b"":
            dims.pop()
        if all(d.isdigit() for d in dims):
            return tuple(int(d) for d in dims), m.group(2) == b"True", np.dtype(m.group(1).decode()), m.end()
    f = io.BytesIO(data)
    try:
        version = npy_format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = npy_format.read_array_header_2_0(f)
        else:  # 3.0 only differs for non-latin-1 field names, i.e. structured dtypes
            raise WireError(f"array: npy format version {version} is not accepted")
    except WireError:
        raise
    except Exception as e:  # numpy raises ValueError/TypeError/SyntaxError on bad headers
        raise WireError(f"array: bad npy header ({one_line(e, 120)})") from None
    return shape, fortran, dtype, f.tell()


def decode_npy(data: Any) -> np.ndarray:
    """npy bytes -> array, as `np.load(allow_pickle=False)` would, after checking the
    dtype against the whitelist and the header's size against the payload (numpy would
    allocate the header's size first)."""
    if not isinstance(data, (bytes, bytearray)):
        raise WireError(f"array: as_npy must be bytes, got {type(data).__name__}")
    shape, fortran, dtype, offset = _parse_header(data)
    check_dtype(dtype)
    if not isinstance(shape, tuple) or len(shape) > _MAX_NDIM or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise WireError(f"array: bad shape {shape!r:.80}")
    count = math.prod(shape)
    need, have = count * dtype.itemsize, len(data) - offset
    if need != have:
        raise WireError(f"array: header says {need} bytes of data ({dtype.str}{list(shape)}), payload has {have}")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order="F" if fortran else "C").copy(order="K")  # writable, like np.load's


# ---------------------------------------------------------------------------------------
# messages


def _encode_custom(obj: Any, modality_as_string: bool = False) -> Any:
    if isinstance(obj, np.ndarray):
        return {NDARRAY_TAG: True, "as_npy": encode_npy(obj)}
    if isinstance(obj, ModalityConfig):
        if modality_as_string:
            import json

            return {MODALITY_TAG: True, "as_json": json.dumps(obj.to_json())}
        return {MODALITY_TAG: True, "as_json": obj.to_json()}
    if isinstance(obj, np.generic):  # numpy scalars travel as plain msgpack numbers
        check_dtype(obj.dtype)
        return obj.item()
    raise TypeError(f"cannot encode {type(obj).__name__}")


def _decode_custom(obj: dict[str, Any]) -> Any:
    if NDARRAY_TAG in obj:
        return decode_npy(obj.get("as_npy"))
    if MODALITY_TAG in obj:
        return ModalityConfig.from_json(obj.get("as_json"))
    return obj


def encode(obj: Any, max_bytes: int | None = DEFAULT_MAX_MESSAGE_BYTES, wire: str = WIRE_CURRENT) -> bytes:
    """`wire`: WIRE_N15 writes modality configs as JSON strings (the N1.5-era service)."""
    default = (lambda o: _encode_custom(o, True)) if wire == WIRE_N15 else _encode_custom
    try:
        data = msgpack.packb(obj, default=default, use_bin_type=True)
    except WireError:
        raise
    except (TypeError, ValueError, OverflowError) as e:
        raise WireError(f"cannot encode message: {one_line(e, 200)}") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise WireError(f"message of {len(data)} bytes exceeds the limit of {max_bytes} bytes")
    return data


def decode(data: bytes, max_bytes: int | None = DEFAULT_MAX_MESSAGE_BYTES) -> Any:
    if max_bytes is not None and len(data) > max_bytes:
        raise WireError(f"message of {len(data)} bytes exceeds the limit of {max_bytes} bytes")
    try:
        return msgpack.unpackb(data, object_hook=_decode_custom, raw=False, strict_map_key=True)
    except WireError:
        raise
    except Exception as e:  # msgpack raises several types (ExtraData, FormatError, ValueError, ...)
        raise WireError(f"malformed message: {type(e).__name__}: {one_line(e, 200)}") from None
