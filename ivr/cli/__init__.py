"""The ``ivr`` command: one click group, one module per concept under :mod:`ivr.cli`.

Every command runs under :func:`main`, which turns an :class:`ivr.errors.IvrError` into its message
on stderr and a non-zero exit, so no traceback ever reaches a user (``IVR_DEBUG=1`` shows one).
"""
from __future__ import annotations

import importlib
import os
import sys

import click

from ivr.errors import IvrError, SchemaTooNew

# Exit status of a part that refuses a database newer than its code (sysexits' EX_CONFIG): the
# systemd units do not restart on it (RestartPreventExitStatus), since trying again cannot help.
EXIT_SCHEMA_TOO_NEW = 78

# (module under ivr.cli, attribute[, parent group]): each adds one command or group to `ivr`
# (or to the group named, e.g. `ivr tickets intake`).
SUBCOMMANDS = [
    ("rules_cmd", "rules"),
    ("rules_cmd", "route"),
    ("rules_admin_cmd", "history", "rules"),
    ("rules_admin_cmd", "diff_cmd", "rules"),
    ("rules_admin_cmd", "preview_cmd", "rules"),
    ("rules_admin_cmd", "apply_cmd", "rules"),
    ("rules_admin_cmd", "rollback_cmd", "rules"),
    ("rules_admin_cmd", "status_cmd", "rules"),
    ("rules_admin_cmd", "audit_cmd", "rules"),
    ("prompts_cmd", "prompts"),
    ("agi_cmd", "agi"),
    ("serve_cmd", "serve"),
    ("tickets_cmd", "tickets"),
    ("intake_cmd", "intake", "tickets"),
    ("report_cmd", "report"),
    ("recordings_cmd", "recordings"),
    ("db_cmd", "db"),
    ("backup_cmd", "backup"),
    ("backup_cmd", "restore"),
    ("health_cmd", "health"),
    ("service_cmd", "service"),
    ("asterisk_cmd", "asterisk"),
    ("asterisk_cmd", "render"),
    ("asterisk_cmd", "agents"),
    ("cluster_cmd", "cluster"),
    ("bench_cmd", "bench"),
    ("bench_data_cmd", "data", "bench"),
    ("cluster_cmd", "bench_cluster", "bench"),
    ("bench_cmd", "bench_preview"),
    ("demo_cmd", "demo"),
    ("users_cmd", "users"),
    ("kb_cmd", "kb"),
    ("web_cmd", "web"),
    ("quality_cmd", "quality"),
    ("notices_cmd", "notices"),
    ("callbacks_cmd", "callbacks"),
]


class _LazyGroup(click.Group):
    """Imports a command's module when the command is asked for, not before: ``ivr serve --parts
    routing`` must not import SQLAlchemy or the console just because ``ivr tickets`` exists."""

    def _attach(self, entry: tuple[str, ...]) -> None:
        module, attr, *parent = entry
        if entry in _attached:
            return
        _attached.add(entry)
        command = getattr(importlib.import_module(f"ivr.cli.{module}"), attr)
        group = self._top(parent[0]) if parent else self
        group.add_command(command)  # type: ignore[union-attr]

    def _top(self, name: str) -> click.Command | None:
        """The top-level command ``name`` with its subcommands attached (None when unknown)."""
        for entry in SUBCOMMANDS:
            if len(entry) == 2 and entry[1] == name:
                self._attach(entry)
        if name not in self.commands:  # a command whose name is not its attribute's
            for entry in SUBCOMMANDS:
                if len(entry) == 2:
                    self._attach(entry)
        for entry in SUBCOMMANDS:
            if len(entry) == 3 and entry[2] == name:
                self._attach(entry)
        return self.commands.get(name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._top(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for entry in SUBCOMMANDS:
            self._attach(entry)
        return super().list_commands(ctx)


_attached: set[tuple[str, ...]] = set()


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Telephony engine of the county 12345 public-service hotline."""


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point. Whatever an ``ivr`` command creates (database, spool,
    recordings' folders, Asterisk's logs through the Asterisk it starts) is private to the
    engine's user and group: see :mod:`ivr.permissions`."""
    from ivr.permissions import private_umask

    private_umask()
    try:
        result = cli.main(args=argv, prog_name="ivr", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except click.ClickException as err:
        err.show()
        return err.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    except SchemaTooNew as err:
        click.echo(f"error: {err}", err=True)
        return EXIT_SCHEMA_TOO_NEW
    except IvrError as err:
        click.echo(f"error: {err}", err=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # noqa: BLE001 - last line of defence: never a traceback for users
        if os.environ.get("IVR_DEBUG"):
            raise
        click.echo(f"internal error: {type(err).__name__}: {err} (set IVR_DEBUG=1 for details)", err=True)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
