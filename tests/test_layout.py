"""The folder tree is the pipeline: every import of a ``rag`` module runs from a
stage to the same or an earlier one, and no modules import each other in a circle."""

import ast
from pathlib import Path

import rag

PACKAGE = Path(rag.__file__).parent
# Floors, in the order data flows; a module may import only from its own floor or below.
FLOORS = {
    "rag.errors": 0, "rag.schema": 0, "rag.fileio": 0, "rag.settings": 0, "rag.modes": 0, "rag.exports": 0,
    "rag.text": 1, "rag.filters": 1,
    "rag.ingest": 2, "rag.models": 3, "rag.index": 4, "rag.retrieve": 5, "rag.answer": 6, "rag.check": 7,
    "rag.evaluate": 8, "rag.api": 9, "rag": 9, "rag.serve": 10,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(name: str) -> int:
    while name not in FLOORS:
        name = name.rpartition(".")[0]
    return FLOORS[name]


def imports(path: Path) -> set[str]:
    """Every ``rag`` module ``path`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rag" and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "rag"}
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import; the package uses absolute ones")
    return found


GRAPH = {module_name(p): imports(p) for p in PACKAGE.rglob("*.py")}


def test_every_module_sits_on_a_floor_and_imports_only_downwards():
    upward = [f"{m} -> {d}" for m, deps in GRAPH.items() for d in deps
              if d in GRAPH and m != "rag" and floor(d) > floor(m)]
    assert upward == []


def test_no_import_circle():
    state: dict[str, int] = {}
    circles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(GRAPH.get(m, ())):
            if d not in GRAPH or d == m:
                continue
            if state.get(d) == 1:
                circles.append(" -> ".join(path[path.index(d):] + [d]))
            elif d not in state:
                visit(d, path + [d])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])
    assert circles == []


def test_the_public_api_is_exported():
    assert {"RAG", "Settings", "Answer", "ClaimCheck", "Citation", "RagError", "BadQuestion"} <= set(rag.__all__)
    assert rag.RAG.__module__ == "rag.api"
