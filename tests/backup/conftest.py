"""A centre's data on disk (a "machine": data folder, recordings, database) for the backup tests,
on SQLite and on PostgreSQL. A PostgreSQL restore lands in a throwaway database of its own on
the same server (the "empty machine"), in a schema of the original's name."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ivr.settings import Settings
from support import REPO, pg_database, pg_schema

IVR = str(Path(sys.executable).with_name("ivr"))


@dataclass
class Machine:
    """One installation's folders and database, and its ``ivr`` command line."""

    root: Path
    url: str

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
        env.update({"IVR_DATA_DIR": str(self.root / "data"), "IVR_RECORDINGS_DIR": str(self.root / "rec"),
                    "IVR_DATABASE_URL": self.url, "IVR_RULES": str(self.root / "conf" / "routing_rules.yaml"),
                    "IVR_TRUNKS": str(self.root / "conf" / "trunks")})
        return env

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env)

    @property
    def trunks(self) -> Path:
        return self.root / "conf" / "trunks"

    def ivr(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([IVR, *args], env=self.env, capture_output=True, text=True, timeout=120)

    def install_config(self) -> None:
        (self.root / "conf").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / "routing_rules.yaml", self.root / "conf" / "routing_rules.yaml")
        shutil.copytree(REPO / "trunks", self.trunks)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def kind(request) -> str:
    return request.param


@pytest.fixture
def machines(kind, request, tmp_path) -> Iterator[tuple[Machine, Machine]]:
    """(the original, an empty machine to restore onto)."""
    if kind == "sqlite":
        yield (Machine(tmp_path / "a", f"sqlite:///{tmp_path / 'a' / 'data' / 'ivr.sqlite3'}"),
               Machine(tmp_path / "b", f"sqlite:///{tmp_path / 'b' / 'data' / 'ivr.sqlite3'}"))
        return
    server = request.getfixturevalue("pg_server").url
    with pg_schema(server, prefix="ivr_backup") as url, pg_database(server, make_url(url)) as empty:
        yield Machine(tmp_path / "a", url), Machine(tmp_path / "b", empty)
