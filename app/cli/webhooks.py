"""``hocovisio webhooks dead [--retry]``: the deliveries given up after their last attempt."""

import argparse
from typing import Any

from app.cli.database import with_sql
from app.config.settings import Settings
from app.persistence.statements import Statements
from app.services import webhooks


def add_commands(commands: Any) -> None:
    """Add ``webhooks`` to the ``hocovisio`` subcommands."""
    parser = commands.add_parser("webhooks", help="the webhook deliveries given up")
    actions = parser.add_subparsers(dest="action", required=True)
    dead = actions.add_parser("dead", help="list the dead deliveries")
    dead.add_argument("--retry", action="store_true", help="queue them again, from attempt 1")
    dead.set_defaults(handler=_dead)


def _dead(settings: Settings, args: argparse.Namespace) -> None:
    async def work(sql: Statements) -> None:
        rows = await webhooks.dead(sql)
        print(f"{len(rows)} dead deliver{'y' if len(rows) == 1 else 'ies'}")
        for row in rows:
            print(
                f"  {row.id}\t{row.event}\tevent {row.uuid}\tto {row.url}\t{row.attempts}"
                f" attempts\tlast: {row.last_error or row.last_status}"
                f"\tdead since {row.dead_at:%Y-%m-%d %H:%M:%S%z}"
            )
        if args.retry and rows:
            print(f"queued again: {await webhooks.retry_dead(sql)}")

    with_sql(settings, work)
