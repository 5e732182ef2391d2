"""The UI's upload cache, bounded: ASGI middleware in front of Gradio's upload route.

Gradio writes every uploaded file to its cache (``GRADIO_TEMP_DIR``) before
the page decides anything, with a cap per file only; a file never added stays
until the sweep. ``UploadQuota`` refuses an upload (before a byte is written)
that would take a client address past ``Settings.upload_client_files`` files or
``upload_client_bytes`` bytes within ``upload_window_s`` (429), or the cache
past ``upload_cache_bytes`` (507) once uploads abandoned for
``upload_abandoned_s`` have been swept; the refusal says which limit, in
Vietnamese, in one line. An upload must say its size (Content-Length, as
browsers do): one that does not is refused (411).
"""

from __future__ import annotations

import shutil
import time
from collections import deque
from pathlib import Path
from typing import Callable

from rag.settings import Settings, mb

UPLOAD_PATH = "/gradio_api/upload"


class UploadQuota:
    def __init__(self, app, settings: Settings = Settings(), folder: Callable[[], str] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.app, self.settings, self.clock = app, settings, clock
        self.folder = folder or _gradio_upload_folder
        self.recent: dict[str, deque[tuple[float, int]]] = {}  # client -> (time, bytes) of its uploads in the window

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith(UPLOAD_PATH):
            return await self.app(scope, receive, send)
        refusal = self.admit((scope.get("client") or ("",))[0], _content_length(scope))
        if refusal is not None:
            status, message = refusal
            return await _plain(send, status, message)
        await self.app(scope, receive, send)

    def admit(self, client: str, size: int | None) -> tuple[int, str] | None:
        """None when an upload of ``size`` bytes from ``client`` may go in (and it is counted), else (status, why)."""
        s = self.settings
        if size is None:
            return 411, "Tệp tải lên phải kèm kích thước (Content-Length)."
        now = self.clock()
        recent = self.recent.setdefault(client, deque())
        while recent and recent[0][0] <= now - s.upload_window_s:
            recent.popleft()
        minutes = f"{s.upload_window_s / 60:g} phút"
        if len(recent) >= s.upload_client_files or sum(n for _, n in recent) + size > s.upload_client_bytes:
            return 429, (f"Quá giới hạn tải lên của một máy: {s.upload_client_files} tệp hoặc "
                         f"{mb(s.upload_client_bytes)} trong {minutes}; thử lại sau.")
        folder = Path(self.folder())
        if _size(folder) + size > s.upload_cache_bytes:
            sweep(folder, s.upload_abandoned_s)
            if _size(folder) + size > s.upload_cache_bytes:
                return 507, (f"Bộ nhớ tạm cho tệp tải lên đã đầy (giới hạn {mb(s.upload_cache_bytes)}); "
                             "thử lại sau vài phút.")
        recent.append((now, size))
        for other in [c for c, q in self.recent.items() if not q]:  # no address is kept without uploads
            del self.recent[other]
        return None


def sweep(folder: Path, older_than_s: float) -> int:
    """Remove the uploads in ``folder`` (one sub-folder each) untouched for ``older_than_s``; returns how many."""
    cutoff, removed = time.time() - older_than_s, 0
    for entry in folder.iterdir() if folder.is_dir() else ():
        try:
            if entry.lstat().st_mtime < cutoff and all(p.lstat().st_mtime < cutoff for p in entry.rglob("*")):
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
                removed += 1
        except OSError:
            continue  # taken by the page or another sweep meanwhile
    return removed


def _size(folder: Path) -> int:
    total = 0
    for p in folder.rglob("*") if folder.is_dir() else ():
        try:
            total += p.lstat().st_size if p.is_file() else 0
        except OSError:
            continue
    return total


def _content_length(scope) -> int | None:
    value = dict(scope.get("headers") or ()).get(b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _gradio_upload_folder() -> str:
    from gradio.utils import get_upload_folder

    return get_upload_folder()


async def _plain(send, status: int, message: str) -> None:
    body = message.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
