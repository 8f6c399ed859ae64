"""Reading card fields: every mistake is a one-line `UserError` naming the card file, the
field and what was expected. Shared by the task and policy cards."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import UserError

REPO_ROOT = Path(__file__).resolve().parents[2]
TASKS_DIR = REPO_ROOT / "tasks"
POLICIES_DIR = REPO_ROOT / "policies"

MODALITY_RE = re.compile(r"^(video|state|action)\.[A-Za-z0-9_]+$")


class Reader:
    """Reads fields from one mapping of a card, tracking where it is for error messages."""

    def __init__(self, data: Any, where: str, path: str):
        if not isinstance(data, dict):
            raise UserError(f"expected a mapping, got {type(data).__name__}", where=where, field=path or None)
        self.data = data
        self.where = where
        self.path = path
        self.used: set[str] = set()

    def field(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str, types: type | tuple[type, ...], default: Any = dataclasses.MISSING) -> Any:
        self.used.add(name)
        if name not in self.data or self.data[name] is None:
            if default is dataclasses.MISSING:
                raise UserError("missing required field", where=self.where, field=self.field(name))
            return default
        value = self.data[name]
        types_t = types if isinstance(types, tuple) else (types,)
        # bool is an int in Python; a card saying `episodes: true` is still a mistake.
        if isinstance(value, bool) and bool not in types_t:
            ok = False
        elif float in types_t and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        else:
            ok = isinstance(value, types_t)
        if not ok:
            expected = " or ".join(t.__name__ for t in types_t)
            raise UserError(
                f"expected {expected}, got {type(value).__name__} {value!r}", where=self.where, field=self.field(name)
            )
        return value

    def positive_int(self, name: str, default: Any = dataclasses.MISSING) -> int:
        value = self.get(name, int, default)
        if value is not None and value < 1:
            raise UserError(f"expected an integer >= 1, got {value}", where=self.where, field=self.field(name))
        return value

    def sub(self, name: str, default: Any = dataclasses.MISSING) -> "Reader":
        return Reader(self.get(name, dict, default), self.where, self.field(name))

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise UserError(
                f"unknown field {unknown[0]!r} (known: {', '.join(sorted(self.used))})",
                where=self.where,
                field=self.path or None,
            )


def check_key(key: Any, prefixes: tuple[str, ...], where: str, field: str) -> str:
    if not isinstance(key, str) or not MODALITY_RE.match(key) or key.split(".")[0] not in prefixes:
        raise UserError(
            f"modality key {key!r} must look like {' or '.join(p + '.<name>' for p in prefixes)}",
            where=where,
            field=field,
        )
    return key




def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as e:
        raise UserError(f"cannot read ({e.strerror})", where=str(path))
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise UserError(f"malformed YAML{at}: {problem}", where=str(path))


def resolve_card(name_or_path: str, folder: Path, kind: str) -> Path:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml"):
        if not p.is_file():
            raise UserError(f"{kind} card not found", where=str(p))
        return p
    candidate = folder / f"{name_or_path}.yaml"
    if candidate.is_file():
        return candidate
    known = sorted(x.stem for x in folder.glob("*.yaml"))
    raise UserError(f"unknown {kind} {name_or_path!r} (known: {', '.join(known) or 'none'}; or give a .yaml path)")


