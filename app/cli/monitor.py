"""``hocovisio monitor kill|delete --before DATE`` and ``hocovisio stats``.

A kill from here reaches the sockets of every running instance at once: the end is published
in its statement, and each instance closes the consultation's sockets (``consultationEnded``)
and its media room at the commit.
"""

import argparse
import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.cli.database import with_db
from app.config.settings import Settings
from app.persistence.models import OneToOne
from app.persistence.storage import LocalStorage
from app.services import monitor, stats
from app.services.audit import OPERATOR, Actor


def _moment(value: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 date and time (UTC unless it says)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {value!r}") from None


def add_commands(commands: Any) -> None:
    """Add ``monitor`` and ``stats`` to the ``hocovisio`` subcommands."""
    monitor_parser = commands.add_parser("monitor", help="end or delete consultations on demand")
    actions = monitor_parser.add_subparsers(dest="action", required=True)
    for action, what in (
        ("kill", "end the active consultations created before DATE"),
        ("delete", "delete the consultations created before DATE, with all their data"),
    ):
        parser = actions.add_parser(action, help=what)
        parser.add_argument("--before", type=_moment, required=True, metavar="DATE")
        parser.add_argument("--dry-run", action="store_true", help="only list what would go")
        parser.set_defaults(handler=_monitor)
    stats_parser = commands.add_parser("stats", help="count the events per event and per day")
    stats_parser.add_argument("--from", dest="start", type=_day, metavar="YYYY-MM-DD")
    stats_parser.add_argument("--to", dest="end", type=_day, metavar="YYYY-MM-DD")
    stats_parser.add_argument("--json", action="store_true", help="print JSON, as GET /stats")
    stats_parser.set_defaults(handler=_stats)


async def _candidates(db: AsyncSession, condition: ColumnElement[bool]) -> list[OneToOne]:
    return list((await db.exec(select(OneToOne).where(condition).order_by(OneToOne.id))).all())


def _monitor(settings: Settings, args: argparse.Namespace) -> None:
    created_before = OneToOne.created_at < args.before
    storage = LocalStorage(settings.documents_dir)
    actor = Actor(OPERATOR)

    async def work(db: AsyncSession) -> None:
        condition = created_before
        if args.action == "kill":
            condition = created_before & (OneToOne.status == "active")
        if args.dry_run:
            rows = await _candidates(db, condition)
            print(f"would {args.action} {len(rows)} consultation(s)")
            for row in rows:
                print(f"  {row.id}\t{row.status}\tcreated {row.created_at:%Y-%m-%d %H:%M:%S%z}")
            return
        now = datetime.now(UTC)
        killed = await monitor.kill_where(db, created_before, "expired", actor, storage, now)
        print(f"killed {len(killed)} consultation(s): {_ids(killed)}")
        if args.action == "delete":
            deleted = await monitor.delete_where(db, created_before, actor, storage)
            print(f"deleted {len(deleted)} consultation(s): {_ids(deleted)}")

    with_db(settings, work)


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids)) or "none"


def _stats(settings: Settings, args: argparse.Namespace) -> None:
    default_start, default_end = stats.default_range(args.end)
    start, end = args.start or default_start, args.end or default_end
    if start > end:
        raise SystemExit("--from must not be after --to")

    async def work(db: AsyncSession) -> None:
        counts = await stats.counts(db, start, end)
        if args.json:
            print(json.dumps(counts.public(), indent=2))
            return
        print(f"from {start} to {end}")
        for event, total in counts.events.items():
            print(f"  {event:<20} {total:>8}")
        if counts.days:
            print("\nday         event                   count")
            for day, event, count in counts.days:
                print(f"{day}  {event:<20} {count:>8}")

    with_db(settings, work)
