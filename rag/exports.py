"""A package's public names, imported from its modules on first use.

In: a package name and a table {public name: module inside it}. Out: the
package's ``__all__`` and a module ``__getattr__`` (PEP 562), so that
``from rag.index import open_search`` works while ``import rag.text.vietnamese``
loads nothing else: a stage's ``__init__`` lists what it gives without paying
for every module of it.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy(package: str, table: dict[str, str]) -> tuple[list[str], Callable[[str], Any]]:
    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return sorted(table), __getattr__
