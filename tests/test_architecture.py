"""The shape of the code, checked: no import cycle, a pure core, modules of a readable size.

These are the rules the project keeps (the README's layout); a change that breaks one fails here
with the module named, rather than being found in review months later.
"""
from __future__ import annotations

import ast
from pathlib import Path

from support import REPO

PACKAGE = REPO / "ivr"
MAX_LINES = 400
# What the pure core may import besides itself: the standard library's pure parts, the error tree,
# and the parsers it checks the rules file with. Nothing that talks to a disk, a socket or a clock.
CORE_MAY_IMPORT = {"__future__", "dataclasses", "datetime", "enum", "typing", "re", "difflib",
                   "unicodedata", "zoneinfo", "collections", "math", "functools", "itertools",
                   "pydantic", "yaml", "ivr.core", "ivr.errors", "ivr.dialplan_variables",
                   "hashlib", "hmac", "json",  # hashing, keyed hashing and JSON text: computation, no I/O
                   "holidays"}  # the statutory holiday calendar: computation (ivr.core.statutory)


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def imports(path: Path, known: set[str]) -> set[str]:
    """Modules imported at module level (a submodule imported from its package counts as itself)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{alias.name}" for alias in node.names} & known
            found.update(subs if len(subs) == len(node.names) else subs | {node.module})
    return found


def test_the_import_graph_has_no_cycle():
    mods = modules()
    graph = {name: imports(path, set(mods)) & set(mods) - {name} for name, path in mods.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_the_core_does_no_io():
    mods = modules()
    for name, path in mods.items():
        if not name.startswith("ivr.core"):
            continue
        for imported in imports(path, set(mods)):
            allowed = any(imported == ok or imported.startswith(ok + ".") for ok in CORE_MAY_IMPORT)
            assert allowed, f"{name} imports {imported}: the core takes its inputs as arguments"


def test_no_module_is_too_long_to_read():
    long = {name: n for name, path in modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these by concept: {long}"
