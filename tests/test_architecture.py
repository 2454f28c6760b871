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
                   "hashlib", "json",  # hashing and JSON text: computation, no I/O
                   "holidays"}  # the statutory holiday calendar: computation (ivr.core.statutory)


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def imports(path: Path, known: set[str]) -> set[str]:
    """Every module ``path`` imports, at module level or inside a function (a lazy import is still
    a dependency); a submodule imported from its package counts as itself. Imports under
    ``if TYPE_CHECKING:`` are annotations, not dependencies, and are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and _is_type_checking(block.test)
                   for stmt in block.body for n in ast.walk(stmt)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{alias.name}" for alias in node.names} & known
            found.update(subs if len(subs) == len(node.names) else subs | {node.module})
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def test_the_import_graph_has_no_cycle():
    mods = modules()
    graph = {name: imports(path, set(mods)) & set(mods) - {name} for name, path in mods.items()}
    for name, targets in KNOWN_CYCLE_EDGES.items():
        graph[name] -= targets
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


# Lazy imports inside one adapter that close a loop (a backup before a migration needs the
# engine, the engine's migration needs the backup): debt inside the store, not across the house.
KNOWN_CYCLE_EDGES = {
    "ivr.store.snapshot": {"ivr.store.engine", "ivr.store.snapshot_pg"},
}


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


# The house (../shared/house.md, the README's layout): each part of the package and its floor.
# A module may import its own part and the floors below; adapters (floor 2) stand side by side and
# none imports another; harnesses stand beside the wiring.
CORE, INFRASTRUCTURE, ADAPTER, WIRING, COMMAND_LINE = range(5)
HOUSE = {
    "ivr.core": CORE, "ivr.errors": CORE, "ivr.dialplan_variables": CORE,
    "ivr.settings": INFRASTRUCTURE, "ivr.clock": INFRASTRUCTURE, "ivr.logs": INFRASTRUCTURE,
    "ivr.files": INFRASTRUCTURE, "ivr.data_folder": INFRASTRUCTURE, "ivr.spool": INFRASTRUCTURE,
    "ivr.rules_file": INFRASTRUCTURE, "ivr.rules_watch": INFRASTRUCTURE, "ivr.boards": INFRASTRUCTURE,
    "ivr.recordings": INFRASTRUCTURE, "ivr.access_log": INFRASTRUCTURE, "ivr.permissions": INFRASTRUCTURE,
    "ivr.processes": INFRASTRUCTURE, "ivr.quality_sheet": INFRASTRUCTURE,
    "ivr.agi": ADAPTER, "ivr.ami": ADAPTER, "ivr.web": ADAPTER, "ivr.store": ADAPTER, "ivr.asterisk": ADAPTER,
    "ivr.engine": WIRING, "ivr.supervisor": WIRING, "ivr.scheduler": WIRING, "ivr.lifecycle": WIRING,
    "ivr.notices_admin": WIRING, "ivr.ops": WIRING, "ivr.backup": WIRING, "ivr.cluster": WIRING,
    "ivr.retention": WIRING,
    "ivr.demo": WIRING, "ivr.bench": WIRING, "ivr.sipp": WIRING,   # harnesses, beside the wiring
    "ivr.cli": COMMAND_LINE, "ivr.__main__": COMMAND_LINE, "ivr": COMMAND_LINE,
}
# Packages that are one adapter under two names: the Asterisk configuration and the prompts it
# plays (house.md: "asterisk/ + prompts/"), the store and its migrations.
SAME_PART = {"ivr.prompts": "ivr.asterisk", "ivr.migrations": "ivr.store"}

# Arrows another change is removing (AMI's side handed a publisher by the wiring, the metrics
# reading the intake's figures without the command line): drop them here when it lands.
BEING_REMOVED = {
    "ivr.ami.presence": {"ivr.web.hub"},
    "ivr.ami.wallboard": {"ivr.web.hub", "ivr.web.wallboard"},
    "ivr.web.metrics": {"ivr.cli.intake_cmd", "ivr.agi.stats"},
}
# The debt: arrows that break the house today, each to be paid off, none to be added. The console
# reads and writes through the store's classes and drives Asterisk's phones; the AMI ledger writes
# the work orders. A test below fails when one of these is gone, so the list only shrinks.
KNOWN_DEBT = {
    "ivr.ami.callbacks": {"ivr.store.surges"},
    "ivr.ami.ledger": {"ivr.store.surges", "ivr.store.tickets"},
    "ivr.ami.presence": {"ivr.asterisk.ami"},
    "ivr.web.admin_rules": {"ivr.lifecycle.admin", "ivr.lifecycle.preview", "ivr.store.users"},
    "ivr.web.app": {"ivr.store", "ivr.store.drafts", "ivr.store.kb", "ivr.store.users"},
    "ivr.web.audit": {"ivr.store.audit", "ivr.store.users"},
    "ivr.web.auth": {"ivr.store.users"},
    "ivr.web.callbacks": {"ivr.store.callback_requests", "ivr.store.surges", "ivr.store.users"},
    "ivr.web.desk": {"ivr.ami.presence", "ivr.store.ticket", "ivr.store.users"},
    "ivr.web.desk_kb": {"ivr.store.ticket", "ivr.store.users"},
    "ivr.web.desk_state": {"ivr.store.users"},
    "ivr.web.events": {"ivr.ami.wallboard", "ivr.store.users"},
    "ivr.web.following": {"ivr.lifecycle.parts", "ivr.store"},
    "ivr.web.login": {"ivr.store.users"},
    "ivr.web.notices": {"ivr.asterisk.layout", "ivr.notices_admin", "ivr.store.surges", "ivr.store.users"},
    "ivr.web.orders": {"ivr.store.ticket", "ivr.store.users"},
    "ivr.web.phone": {"ivr.asterisk.phones", "ivr.asterisk.secrets", "ivr.asterisk.service",
                      "ivr.asterisk.site", "ivr.store.users"},
    "ivr.web.phone_relay": {"ivr.asterisk.phones", "ivr.asterisk.service"},
    "ivr.web.replay": {"ivr.store.ticket", "ivr.store.users"},
    "ivr.web.replay_actions": {"ivr.store.ticket", "ivr.store.users"},
    "ivr.web.replay_flags": {"ivr.store.recording_checks"},
    "ivr.web.service": {"ivr.ami.presence", "ivr.asterisk.secrets", "ivr.asterisk.service", "ivr.ops.health"},
    "ivr.web.session": {"ivr.asterisk.secrets"},
    "ivr.web.supervision": {"ivr.store.ticket", "ivr.store.users"},
    "ivr.web.wallboard": {"ivr.store.users"},
}


def part_of(module: str) -> str:
    """The entry of HOUSE a module belongs to (its longest prefix), after SAME_PART."""
    pieces = module.split(".")
    for n in range(len(pieces), 0, -1):
        prefix = ".".join(pieces[:n])
        if prefix in SAME_PART:
            return SAME_PART[prefix]
        if prefix in HOUSE:
            return prefix
    raise AssertionError(f"{module} has no place in the house: add it to HOUSE in this test")


def breaks_the_house(source: str, target: str) -> bool:
    here, there = part_of(source), part_of(target)
    if here == there:
        return False
    return HOUSE[there] > HOUSE[here] or (HOUSE[there] == HOUSE[here] == ADAPTER)


def arrows() -> dict[str, set[str]]:
    """Every arrow that breaks the house, module -> modules it imports."""
    mods = modules()
    out: dict[str, set[str]] = {}
    for name, path in mods.items():
        bad = {t for t in imports(path, set(mods)) & set(mods) if breaks_the_house(name, t)}
        if bad:
            out[name] = bad
    return out


def test_every_module_has_a_place_in_the_house():
    for name in modules():
        part_of(name)


def test_no_arrow_breaks_the_house_but_the_known_ones():
    allowed = {name: KNOWN_DEBT.get(name, set()) | BEING_REMOVED.get(name, set())
               for name in set(KNOWN_DEBT) | set(BEING_REMOVED)}
    new = {name: sorted(bad - allowed.get(name, set())) for name, bad in arrows().items()
           if bad - allowed.get(name, set())}
    assert not new, ("these imports break the layering of ../shared/house.md (adapters meet through "
                     f"the wiring; nothing imports a floor above its own): {new}")


def test_the_known_debt_only_shrinks():
    found = arrows()
    paid = {name: sorted(targets - found.get(name, set())) for name, targets in KNOWN_DEBT.items()
            if targets - found.get(name, set())}
    assert not paid, f"these arrows are gone: remove them from KNOWN_DEBT: {paid}"


def test_routing_imports_no_other_adapter():
    """house.md: routing stands alone (core and infrastructure only), so it runs beside each Asterisk."""
    for name, path in modules().items():
        if part_of(name) != "ivr.agi":
            continue
        for target in imports(path, set(modules())):
            if target.startswith("ivr."):
                assert HOUSE[part_of(target)] < ADAPTER or part_of(target) == "ivr.agi", f"{name} imports {target}"
            assert not target.startswith(("sqlalchemy", "panoramisk", "starlette")), f"{name} imports {target}"
