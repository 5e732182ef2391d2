"""One writer at a time: an inter-process lock on the index folder.

In: the index folder and a timeout. Out: a context manager that holds an
exclusive ``fcntl.flock`` on ``<index>/.lock`` while the caller writes. A
second writer prints one line to stderr and waits; after the timeout it raises
``IndexBusy``. The kernel releases the lock when its holder exits, even when
killed, so a crashed writer never blocks the next one. Readers take no lock:
they read one generation that writers never change (see ``store``).
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rag.errors import EnvironmentFault, IndexBusy

LOCK_FILE = ".lock"
POLL_S = 0.1


def _open(index_dir: Path) -> int:
    path = index_dir / LOCK_FILE
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM) and path.exists():
            return os.open(path, os.O_RDONLY)  # flock works on a read-only descriptor too
        raise EnvironmentFault(f"cannot lock the index folder {index_dir}: {exc.strerror}") from exc


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def index_lock(index_dir: Path, timeout_s: float) -> Iterator[None]:
    """Hold the index folder's writer lock for the ``with`` block."""
    fd = _open(index_dir)
    try:
        if not _try_lock(fd):
            print(f"another rag index is writing {index_dir}; waiting…", file=sys.stderr, flush=True)
            deadline = time.monotonic() + timeout_s
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise IndexBusy(f"another rag index is still writing {index_dir} after {timeout_s:g} s; "
                                    "try again when it has finished")
                time.sleep(POLL_S)
        yield
    finally:
        os.close(fd)  # releases the lock
