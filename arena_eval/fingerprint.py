"""Content hashes that identify a policy's files in run manifests and served identities."""

from __future__ import annotations

import hashlib
from pathlib import Path


def content_hash(paths: list[str]) -> str | None:
    """sha256 over the files (recursively for folders), in sorted path order."""
    if not paths:
        return None
    h = hashlib.sha256()
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p])
    for f in files:
        h.update(f.name.encode())
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()
