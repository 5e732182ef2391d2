"""The UI's login: where the password comes from, and how a login is checked.

In: ``--auth-file PATH`` (its first line is ``user:password``), else
``--auth user:password`` (works, but anyone on the machine sees it in ``ps``:
a warning says so), else the ``RAG_AUTH`` environment variable. Out:
``Credentials`` (or ``AuthConfigError`` naming the source, never echoing the
password) and ``checker(credentials)``, the coroutine that ``gradio.launch(auth=...)``
awaits: constant-time comparison, and ``FAILED_LOGIN_DELAY_S`` of wait after a
failed login so that guessing passwords is slow. The wait is per source: the
logins of one client address (``ClientSource`` tells it) are checked one at a
time, each failure holding its address's turn for the delay, so a burst of wrong
logins slows its own address only; other addresses, and signed-in users, are
never kept waiting (the wait is ``asyncio.sleep``: Gradio's event loop runs on).
"""

from __future__ import annotations

import asyncio
import hmac
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

from rag.errors import AuthConfigError

FAILED_LOGIN_DELAY_S = 1.0
ARGV_WARNING = "--auth puts the password in the command line, visible to every user in `ps`; use --auth-file or RAG_AUTH"


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)  # never printed in a log or a traceback


def parse(line: str, source: str) -> Credentials:
    """``user:password`` -> ``Credentials``; ``source`` names where it came from in the error."""
    user, sep, password = line.rstrip("\r\n").partition(":")
    if not sep or not user.strip() or not password:
        raise AuthConfigError(f"{source} must be user:password")
    return Credentials(user, password)


def from_file(path: Path) -> Credentials:
    """The first line of ``path``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise AuthConfigError(f"auth file {path} not found") from None
    except UnicodeDecodeError:
        raise AuthConfigError(f"auth file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise AuthConfigError(f"cannot read auth file {path}: {exc.strerror}") from None
    return parse(lines[0] if lines else "", f"line 1 of auth file {path}")


def resolve(auth_file: str | None, argv: str | None, env: str | None) -> tuple[Credentials | None, str | None]:
    """(credentials or None for no login, a warning to print or None), from the first source given."""
    if auth_file:
        return from_file(Path(auth_file)), None
    if argv:
        return parse(argv, "--auth"), ARGV_WARNING
    if env:
        return parse(env, "RAG_AUTH"), None
    return None, None


CLIENT: ContextVar[str] = ContextVar("rag_client_address", default="")


class ClientSource:
    """ASGI middleware: the client address of each HTTP request, in ``CLIENT``
    while the request is handled (Gradio's auth callback is given no request)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        token = CLIENT.set((scope.get("client") or ("",))[0])
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT.reset(token)


class _Turns:
    """One lock per client address with a login being checked (none kept after)."""

    def __init__(self):
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}

    @asynccontextmanager
    async def of(self, source: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(source, asyncio.Lock())
        self._waiting[source] = self._waiting.get(source, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[source] -= 1
            if not self._waiting[source]:
                del self._waiting[source], self._locks[source]


def checker(credentials: Credentials, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
            delay: float = FAILED_LOGIN_DELAY_S,
            source: Callable[[], str] = CLIENT.get) -> Callable[[str, str], Awaitable[bool]]:
    """``await check(username, password) -> bool`` for ``gradio.launch(auth=...)``:
    the logins of one ``source()`` one at a time, a failure holding the turn for ``delay``."""
    user, password = credentials.user.encode(), credentials.password.encode()
    turns = _Turns()

    async def check(username: str, given: str) -> bool:
        async with turns.of(source()):
            ok = hmac.compare_digest((username or "").encode(), user) & hmac.compare_digest(
                (given or "").encode(), password)
            if not ok:
                await sleep(delay)
            return ok

    return check
