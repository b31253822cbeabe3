"""Webhooks: the clinic's backend is told what happens in its consultations.

An event is written to the ``webhook_event`` outbox by the same statement or transaction as
the change it announces (``queued``), so that a crash between the change and the post loses
nothing. A deliverer (``app.runtime.webhook_task``, in each serving instance with URLs
configured) copies each new event into one ``webhook_delivery`` per configured URL, posts it
signed, and retries a failure with exponential back-off until ``webhook_max_attempts``, after
which the delivery is dead: ``hocovisio webhooks dead`` lists them (``--retry`` queues them
again) and ``/metrics`` counts them. The monitor purges delivered events a day later (and,
with no URL configured, the queued ones after an hour). Deliveries are claimed for a while
before posting, so that several instances never post the same one at once; a receiver may
still get one twice (an instance dying after the post, before marking it) and keys them by
``id``.

Bodies carry identifiers, roles, reasons, and a document's type and size: never a token, a
credential, a name, a message, form data or a file.
"""

import asyncio
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, LiteralString

import httpx

from app.persistence.statements import Statements

EVENTS = (
    "participant.waiting",  # a re-opened link is in the waiting room
    "participant.joined",  # a session's first socket opened (or it was admitted)
    "participant.left",  # a session's last socket closed
    "consultation.ended",  # killed by the operator or the doctor, or by the monitor
    "document.uploaded",  # metadata only
)
SIGNATURE_HEADER = "HOCOVISIO-Signature"
MAX_DELAY = 3600.0


def queued(event: LiteralString, data: LiteralString, source: LiteralString) -> LiteralString:
    """A data-modifying CTE's body that queues ``event`` once per row of ``source`` (SQL: a
    CTE's name, a table), with ``data`` (SQL: a ``jsonb_build_object(...)`` over it)."""
    assert event in EVENTS
    return (
        "INSERT INTO webhook_event (event, data) SELECT '"
        + event
        + "', "
        + data
        + " FROM "
        + (source)
    )


def _presence(event: LiteralString) -> LiteralString:
    return (
        "WITH queued AS ("
        + queued(
            event,
            "jsonb_build_object('onetoone_id', %(onetoone_id)s::integer,"
            " 'session_id', %(session_id)s::integer, 'role', %(role)s::text)",
            "(SELECT 1) AS one",
        )
        + ") SELECT 1"
    )


QUEUE_JOINED = _presence("participant.joined")
QUEUE_LEFT = _presence("participant.left")


async def presence(
    sql: Statements, joined: bool, onetoone_id: int, session_id: int, role: str
) -> None:
    """Queue ``participant.joined`` (or ``.left``): presence lives in the sockets, not in a
    row, so it is a statement of its own."""
    params = {"onetoone_id": onetoone_id, "session_id": session_id, "role": role}
    await sql.one(QUEUE_JOINED if joined else QUEUE_LEFT, params)


# A deliverer's turn. New events become one delivery per URL. Then the due deliveries
# are claimed for ``lease`` seconds, so that no other deliverer posts them meanwhile.
FAN_OUT = """WITH new AS (
    UPDATE webhook_event SET fanned_out = true
    WHERE id IN (SELECT id FROM webhook_event WHERE NOT fanned_out ORDER BY id
                 LIMIT 500 FOR UPDATE SKIP LOCKED)
    RETURNING id
), copied AS (
    INSERT INTO webhook_delivery (event_id, url)
    SELECT new.id, url FROM new, unnest(%(urls)s::text[]) AS url
    RETURNING 1
)
SELECT (SELECT count(*) FROM new) AS events, (SELECT count(*) FROM copied) AS deliveries"""

CLAIM = """UPDATE webhook_delivery AS d
SET claimed_until = now() + %(lease)s * interval '1 second', attempts = d.attempts + 1
FROM webhook_event AS e
WHERE d.id IN (
    SELECT id FROM webhook_delivery
    WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= now()
      AND (claimed_until IS NULL OR claimed_until < now())
    ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED
) AND e.id = d.event_id
RETURNING d.id, d.url, d.attempts, e.uuid, e.event, e.data, e.created_at"""

DELIVERED = """UPDATE webhook_delivery
SET delivered_at = now(), claimed_until = NULL, last_status = %(status)s, last_error = NULL
WHERE id = %(id)s RETURNING id"""

FAILED = """UPDATE webhook_delivery
SET claimed_until = NULL, last_status = %(status)s, last_error = %(error)s,
    next_attempt_at = now() + %(delay)s * interval '1 second',
    dead_at = CASE WHEN %(dead)s THEN now() END
WHERE id = %(id)s RETURNING id"""

# Events whose deliveries all went through, ``age`` seconds after; with ``unsent_age``, also
# the events nobody fanned out that long (no instance has a URL configured).
PURGE = """DELETE FROM webhook_event e
WHERE (e.fanned_out AND e.created_at < now() - %(age)s * interval '1 second'
       AND NOT EXISTS (SELECT 1 FROM webhook_delivery d
                       WHERE d.event_id = e.id AND d.delivered_at IS NULL))
   OR (NOT e.fanned_out AND %(unsent_age)s::float8 IS NOT NULL
       AND e.created_at < now() - %(unsent_age)s::float8 * interval '1 second')
RETURNING e.id"""

DEAD = """SELECT d.id, d.url, d.attempts, d.last_status, d.last_error, d.dead_at,
       e.uuid, e.event, e.created_at
FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event_id
WHERE d.dead_at IS NOT NULL ORDER BY d.id"""

RETRY_DEAD = """UPDATE webhook_delivery
SET dead_at = NULL, attempts = 0, next_attempt_at = now(), claimed_until = NULL
WHERE dead_at IS NOT NULL RETURNING id"""

BACKLOG = """SELECT count(*) FILTER (WHERE dead_at IS NULL) AS pending,
       count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead
FROM webhook_delivery WHERE delivered_at IS NULL"""


@dataclass(frozen=True)
class Delivery:
    id: int
    url: str
    attempts: int
    body: bytes
    event: str


def body(uuid: Any, event: str, data: dict[str, Any], created_at: datetime) -> bytes:
    """What is posted: the same bytes at every attempt."""
    document = {"id": str(uuid), "type": event, "created_at": created_at.isoformat(), "data": data}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``, as Stripe signs."""
    signed = str(timestamp).encode() + b"." + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def retry_delay(attempts: int, base: float) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: base, 2 base, 4 base..."""
    return min(base * 2 ** (attempts - 1), MAX_DELAY)


async def fan_out(sql: Statements, urls: list[str]) -> int:
    """Copy the new events into one delivery per URL; return how many events."""
    row = await sql.one(FAN_OUT, {"urls": urls})
    return int(row.events) if row is not None else 0


async def claim(sql: Statements, limit: int, lease: float) -> list[Delivery]:
    rows = await sql.all(CLAIM, {"limit": limit, "lease": lease})
    return [
        Delivery(
            row.id,
            row.url,
            row.attempts,
            body(row.uuid, row.event, row.data, row.created_at),
            row.event,
        )
        for row in rows
    ]


async def post(
    client: httpx.AsyncClient, delivery: Delivery, secret: str, timeout: float
) -> tuple[int | None, str | None]:
    """Post one delivery: its status, and None or why it failed (no body is ever quoted).

    The whole post has ``timeout`` seconds, not each read: a receiver that trickles its
    answer would otherwise hold the batch, and its claim could run out meanwhile."""
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, int(time.time()), delivery.body),
        "HOCOVISIO-Event": delivery.event,
        "User-Agent": "HOCOVISIO-Webhooks",
    }
    try:
        async with asyncio.timeout(timeout):
            response = await client.post(delivery.url, content=delivery.body, headers=headers)
    except (httpx.HTTPError, TimeoutError) as error:
        return None, type(error).__name__
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


async def record(
    sql: Statements,
    delivery: Delivery,
    status: int | None,
    error: str | None,
    max_attempts: int,
    base_delay: float,
) -> str:
    """Mark the delivery done, to retry, or dead; return which (``delivered``, ``failed``,
    ``dead``)."""
    if error is None:
        await sql.one(DELIVERED, {"id": delivery.id, "status": status})
        return "delivered"
    dead = delivery.attempts >= max_attempts
    params = {
        "id": delivery.id,
        "status": status,
        "error": error[:200],
        "delay": retry_delay(delivery.attempts, base_delay),
        "dead": dead,
    }
    await sql.one(FAILED, params)
    return "dead" if dead else "failed"


async def purge(sql: Statements, age: float, unsent_age: float | None) -> int:
    """Forget the events delivered ``age`` seconds ago, and (``unsent_age``, for a service
    with no URL configured) those queued that long ago; return how many."""
    return len(await sql.all(PURGE, {"age": age, "unsent_age": unsent_age}))


async def dead(sql: Statements) -> list[Any]:
    return await sql.all(DEAD, {})


async def retry_dead(sql: Statements) -> int:
    return len(await sql.all(RETRY_DEAD, {}))


async def backlog(sql: Statements) -> tuple[int, int]:
    """Deliveries waiting (or retrying), and dead ones."""
    row = await sql.one(BACKLOG, {})
    return (int(row.pending), int(row.dead)) if row is not None else (0, 0)
