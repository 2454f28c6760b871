"""The repository's fail2ban filter applied to a log: the hosts it would count failures for.

With Debian's fail2ban installed (``make test`` installs it) this is ``fail2ban-regex``, the
very program a jail runs; without it, Python regexes derived from the same filter file (its
``datepattern`` and ``failregex`` lines, ``<HOST>`` as an address), so the filter is always tested.
"""
from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

from support import REPO

FILTER = REPO / "fail2ban" / "filter.d" / "ivr-12345-asterisk.conf"
_DATE_FIELDS = {"%Y": r"\d{4}", "%m": r"\d{2}", "%d": r"\d{2}", "%H": r"\d{2}", "%M": r"\d{2}",
                "%S": r"\d{2}", "%f": r"\d+"}


def hosts(log: Path, filter_file: Path = FILTER, use_fail2ban: bool | None = None) -> list[str]:
    """The host of every line of ``log`` the filter counts as a failure, in order."""
    if use_fail2ban is None:
        use_fail2ban = shutil.which("fail2ban-regex") is not None
    if use_fail2ban:
        done = subprocess.run(["fail2ban-regex", "-o", "ip", str(log), str(filter_file)],
                              capture_output=True, text=True, timeout=60, check=True)
        return [line.strip() for line in done.stdout.splitlines() if line.strip()]
    date, failregexes = python_filter(filter_file)
    found = []
    for line in Path(log).read_text(encoding="utf-8", errors="replace").splitlines():
        stamp = date.match(line)
        if not stamp:
            continue
        rest = line[stamp.end():]
        for regex in failregexes:
            if (m := regex.search(rest)):
                found.append(m.group("host"))
                break
    return found


def python_filter(filter_file: Path = FILTER) -> tuple[re.Pattern, list[re.Pattern]]:
    """(date regex, failure regexes) from a fail2ban filter file."""
    parser = configparser.ConfigParser()  # fail2ban's files are ini files with %% for %
    parser.read(filter_file, encoding="utf-8")
    definition = parser["Definition"]
    date = definition["datepattern"]
    for field, regex in _DATE_FIELDS.items():
        date = date.replace(field, regex)
    failregexes = [re.compile(line.strip().replace("<HOST>", r"(?P<host>[0-9A-Fa-f.:]+)"))
                   for line in definition["failregex"].splitlines() if line.strip()]
    return re.compile(date), failregexes
