"""The UI's login: where the password comes from, and how a login is checked.

In: ``--auth-file PATH`` (its first line is ``user:password``), else
``--auth user:password`` (works, but anyone on the machine sees it in ``ps``:
a warning says so), else the ``RAG_AUTH`` environment variable. Out:
``Credentials`` (or ``AuthConfigError`` naming the source, never echoing the
password) and ``checker(credentials)``, the callable that ``gradio.launch(auth=...)``
calls: constant-time comparison, and ``FAILED_LOGIN_DELAY_S`` of sleep after a
failed login so that guessing passwords is slow.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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


def checker(credentials: Credentials, sleep: Callable[[float], None] = time.sleep,
            delay: float = FAILED_LOGIN_DELAY_S) -> Callable[[str, str], bool]:
    """``check(username, password) -> bool`` for ``gradio.launch(auth=...)``."""
    user, password = credentials.user.encode(), credentials.password.encode()

    def check(username: str, given: str) -> bool:
        ok = hmac.compare_digest((username or "").encode(), user) & hmac.compare_digest((given or "").encode(), password)
        if not ok:
            sleep(delay)
        return ok

    return check
