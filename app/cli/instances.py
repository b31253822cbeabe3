"""``hocovisio instances``: the instances serving on this database, as they see each other."""

import argparse
from typing import Any

from app.cli.database import with_sql
from app.config.settings import Settings
from app.persistence.statements import Statements
from app.services import instances


def add_commands(commands: Any) -> None:
    """Add ``instances`` to the ``hocovisio`` subcommands."""
    parser = commands.add_parser("instances", help="the instances serving on this database")
    parser.set_defaults(handler=_list)


def _list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(sql: Statements) -> None:
        rows = await instances.listed(sql)
        print(f"{len(rows)} instance{'' if len(rows) == 1 else 's'}")
        for row in rows:
            left = row.lease_left.total_seconds()
            state = f"lease {left:.1f} s" if left > 0 else f"lease expired {-left:.1f} s ago"
            print(
                f"  {row.id}\t{row.name}\tRTC {row.rtc}\tsince {row.started_at:%Y-%m-%d %H:%M:%S%z}"
                f"\t{state}\t{row.sockets} sockets\tmedia of {row.media_homes} consultations"
            )

    with_sql(settings, work)
