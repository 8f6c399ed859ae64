"""JSON files of a checkpoint or processor directory, read with one-line errors naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ....errors import UserError


def read_json(path: Path) -> Any:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise UserError("file not found", where=str(path)) from None
    except OSError as e:
        raise UserError(f"cannot read ({e.strerror})", where=str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise UserError(f"malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}", where=str(path)) from None


def read_json_object(path: Path) -> dict[str, Any]:
    """`read_json`, and the file must hold an object."""
    d = read_json(path)
    if not isinstance(d, dict):
        raise UserError("expected a JSON object", where=str(path))
    return d


def checkpoint_model_type(checkpoint_dir: Path) -> str | None:
    """`model_type` of a checkpoint's config.json, or None when it cannot be read (the
    generation's loader then reports the problem)."""
    try:
        data = read_json(checkpoint_dir / "config.json")
    except UserError:
        return None
    return data.get("model_type") if isinstance(data, dict) else None
