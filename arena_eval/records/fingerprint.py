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


def file_digest(path: str | Path) -> str:
    """sha256 of one file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digest_of_digests(digests: dict[str, str]) -> str:
    """sha256 over (name, digest) pairs in sorted name order: a tree's content hash in which a
    renamed or moved file counts as a change (content_hash sees base names only)."""
    h = hashlib.sha256()
    for name in sorted(digests):
        h.update(f"{name}\0{digests[name]}\n".encode())
    return h.hexdigest()
