"""GET /stats: the events counted per event and per day, for the clinic's operators."""

from datetime import date
from typing import Any

from quart import Blueprint, request

from app.errors import Refused
from app.http.auth import operator_required
from app.http.schemas_responses import StatsCounts, documented
from app.runtime.state import state
from app.services import stats

bp = Blueprint("stats", __name__)


FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9999, 12, 30)


def _day(name: str) -> date | None:
    """The query argument ``name`` as a date, None when absent; 400 when it is not one."""
    value = request.args.get(name)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        raise Refused(400, f"{name} must be a date YYYY-MM-DD from 1970 on")
    return day


@bp.get("/stats")
@documented(StatsCounts, 400, 401, 503)
@operator_required
async def get_stats() -> dict[str, Any]:
    start, end = _day("from"), _day("to")
    default_start, default_end = stats.default_range(end)
    start, end = start or max(default_start, FIRST_DAY), end or default_end
    if start > end:
        raise Refused(400, "from must not be after to")
    async with state().db() as db:
        counts = await stats.counts(db, start, end)
    return counts.public()
