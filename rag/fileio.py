"""Files written whole or not at all, and their fingerprints.

In: a path and its new content, or a path to fingerprint. Out: the file
replaced atomically (written aside as ``<name>.tmp``, then renamed over it, so
a reader or a crash never sees half of it; the aside file is removed when the
write fails), and a file's sha256 read in blocks, with its size.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

BLOCK = 1 << 22


def write_atomic(path: Path, content: str | bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        if isinstance(content, str):
            tmp.write_text(content, encoding="utf-8")
        else:
            tmp.write_bytes(content)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):  # the write's own error is the one to report
            tmp.unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(path: Path) -> dict:
    """``{"size", "sha256"}`` of a file, as index manifests record them."""
    return {"size": path.stat().st_size, "sha256": sha256_file(path)}
