"""The AMI side and the console meet through a publisher the wiring hands in: no module of
``ivr.ami`` imports ``ivr.web`` (nor the Asterisk installer's package: the AMI client lives here),
no module of ``ivr.web`` imports ``ivr.ami`` (the wiring builds the console's feed,
``ivr.lifecycle.console_feed``), and the console's /metrics imports no command-line module. Every import counts, those inside a
function too (a lazy import is still a dependency)."""
from __future__ import annotations

import ast

from support import REPO


def imported(path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_ami_side_imports_neither_the_web_nor_the_installer():
    arrows = {f"{path.name} -> {name}" for path in (REPO / "ivr" / "ami").glob("*.py") for name in imported(path)
              if name.startswith(("ivr.web", "ivr.cli", "ivr.asterisk"))}
    assert not arrows


def test_the_console_imports_nothing_of_the_ami_side():
    arrows = {f"{path.name} -> {name}" for path in (REPO / "ivr" / "web").glob("*.py") for name in imported(path)
              if name.startswith("ivr.ami")}
    assert not arrows


def test_the_console_s_metrics_import_no_command_line_module():
    assert not {n for n in imported(REPO / "ivr" / "web" / "metrics.py") if n.startswith("ivr.cli")}
