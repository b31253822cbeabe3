"""Probes and metrics: ``/healthz`` (alive), ``/readyz`` (able to serve), ``/metrics``.

``/readyz`` answers 503 naming the failed checks, so that a load balancer stops sending
clinics to an instance whose database is gone, whose schema is behind the code, or whose
SFU workers are not all running.
"""

import asyncio
from typing import Any

from alembic.script import ScriptDirectory
from prometheus_client import CONTENT_TYPE_LATEST
from quart import Blueprint, Response, request
from quart_schema import document_response
from sqlalchemy import text

from app.errors import Refused
from app.http.auth import bearer_token
from app.http.schemas_responses import Health, Readiness, documented
from app.persistence.db import alembic_config
from app.runtime.metrics import ClusterCounts
from app.runtime.state import state
from app.services.tokens import same_secret

bp = Blueprint("health", __name__)

DATABASE_TIMEOUT = 3.0


@bp.get("/healthz")
@documented(Health, 400)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _migration_heads(url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


async def _database_checks() -> dict[str, str]:
    hocovisio = state()
    async with asyncio.timeout(DATABASE_TIMEOUT), hocovisio.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    current = {row[0] for row in rows}
    assert hocovisio.settings.database_url is not None
    heads = await asyncio.to_thread(_migration_heads, hocovisio.settings.database_url)
    behind = f"database at {sorted(current)}, code at {sorted(heads)}"
    return {"database": "ok", "migrations": "ok" if current == heads else behind}


@bp.get("/readyz")
@documented(Readiness, 400)
@document_response(Readiness, 503)
async def readyz() -> tuple[dict[str, Any], int]:
    try:
        checks = await _database_checks()
    except Exception as error:
        reason = "timed out" if isinstance(error, TimeoutError) else type(error).__name__
        checks = {"database": f"unreachable: {reason}", "migrations": "unknown"}
    stats = state().media.stats()
    checks["workers"] = (
        "ok"
        if stats.workers_alive == stats.workers
        else f"{stats.workers_alive} of {stats.workers} running"
    )
    failed = sorted(name for name, result in checks.items() if result != "ok")
    status = "ok" if not failed else "unavailable"
    return {"status": status, "checks": checks, "failed": failed}, 200 if not failed else 503


@bp.get("/metrics")
@documented(None, 400, 401)  # the 200 is Prometheus text
async def metrics() -> Response:
    token = state().settings.metrics_token
    if token is not None:
        given = bearer_token(request.headers)
        if given is None or not same_secret(given, token.get_secret_value()):
            raise Refused(401, "metrics token required")
    hocovisio = state()
    cluster = ClusterCounts(hocovisio.backbone.received, hocovisio.relay.forwarded)
    body = await hocovisio.metrics.render(hocovisio.db, hocovisio.broker, hocovisio.media, cluster)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
