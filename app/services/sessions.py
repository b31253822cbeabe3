"""Participants' sessions: opening links, logging clients in (the waiting room they may
open is ``waiting_room``'s).

A used link opened by another client opens a pending session, announced to the doctor with
``newSessionToValidate`` and the device it came from (``device_hint``).
"""

from dataclasses import dataclass
from enum import Enum
from typing import Any, LiteralString

from app.errors import Refused
from app.persistence.models._base import iso
from app.persistence.statements import Statements
from app.realtime.notices import published
from app.services import webhooks
from app.services.onetoones import ACTIVITY_RESOLUTION, touched
from app.services.tokens import credential_hash, new_token, same_secret

# The states in which a session's credential works (migration 0008 lists them all): the
# others were put out of the consultation, and stay out.
LIVE = "s.state IN ('waiting', 'admitted')"

# A guard for the statements a socket's requests run: the session ``%(session_id)s`` is still
# in the consultation. A socket learns that its session was put out of it a moment after the
# commit (its event); what it asks meanwhile is refused here.
STILL_ADMITTED = "EXISTS (SELECT 1 FROM session WHERE id = %(session_id)s AND state = 'admitted')"

# The caller behind a credential (parameter ``credential``: its hash, or NULL), as the first
# CTE of a statement that authenticates and works at once. No row: unknown credential, its
# session no longer live, or its consultation over.
CALLER = (
    """caller AS (
    SELECT s.id AS session_id, s.onetoone_id, s.role, s.state = 'waiting' AS pending,
           o.token AS onetoone_token, s.reopened_from_id, o.e2ee
    FROM session_credential c
    JOIN session s ON s.id = c.session_id
    JOIN onetoone o ON o.id = s.onetoone_id
    WHERE c.credential_hash = %(credential)s AND o.status = 'active' AND """
    + LIVE
    + """
)"""
)
CALLER_COLUMNS = "caller.session_id, caller.onetoone_id, caller.role, caller.pending, \
caller.onetoone_token, caller.reopened_from_id, caller.e2ee"

# What ``public_session`` shows of a session.
SESSION_COLUMNS = (
    "id, token, role, token_onetime_used, validate_fromadmin, created_at, updated_at, device_hint"
)


@dataclass(frozen=True)
class Caller:
    """A logged-in client: the session its credential belongs to, in an active consultation."""

    session_id: int
    onetoone_id: int
    role: str
    pending: bool
    onetoone_token: str
    reopened_from_id: int | None = None
    e2ee: bool = False  # the consultation's media is encrypted end to end

    def descends_from(self, session_id: int) -> bool:
        """True for that session itself and for a session opened by re-opening its link."""
        return session_id in (self.session_id, self.reopened_from_id)


def credential_param(credential: str | None) -> bytes | None:
    """The ``credential`` parameter of ``CALLER``: NULL matches no row."""
    return credential_hash(credential) if credential else None


def caller_of(row: Any) -> Caller | None:
    """The ``CALLER_COLUMNS`` at the start of a statement's row (None when absent)."""
    if row is None or row[0] is None:
        return None
    return Caller(*row[:7])


def admitted(caller: Caller | None, allow_pending: bool = False) -> Caller:
    """The rule of every participant's request: 401 without a live credential, 403 while the
    session waits for the doctor."""
    if caller is None:
        raise Refused(401, "session not valid")
    if caller.pending and not allow_pending:
        raise Refused(403, "session is waiting for the doctor's validation")
    return caller


def public_session(row: Any, onetoone_token: str) -> dict[str, Any]:
    """A session's answer from its ``SESSION_COLUMNS``, in that order."""
    session_id, token, role, used, validated, created_at, updated_at, device = row[:8]
    return {
        "id": session_id,
        "token": token,
        "onetoone_token": onetoone_token,
        "role": role,
        "token_onetime_used": used,
        "validate_fromadmin": validated,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
        "device_hint": device,
    }


def session_json(source: LiteralString) -> LiteralString:
    """``public_session`` in SQL (``hocovisio_session_json``, migration 0008), of the
    ``SESSION_COLUMNS`` of ``source`` (a CTE's name), for an event published by the
    statement; the statement passes ``onetoone_token``."""
    return (
        "hocovisio_session_json("
        + source
        + ".id, "
        + source
        + ".token, "
        + source
        + ".role, "
        + source
        + ".token_onetime_used, "
        + source
        + ".validate_fromadmin, "
        + source
        + ".created_at, "
        + source
        + ".updated_at, "
        + source
        + ".device_hint,"
        " %(onetoone_token)s::text)"
    )


class Opening(Enum):
    MEDECIN = "opened"
    LOGGED_IN = "reopened"
    FIRST_USE = "first_use"
    PENDING = "pending"


@dataclass
class OpenResult:
    session: dict[str, Any]  # public_session
    opening: Opening
    credential: str | None


AUTHENTICATE = "WITH " + CALLER + " SELECT " + CALLER_COLUMNS + " FROM caller"


async def authenticate(sql: Statements, credential: str | None) -> Caller | None:
    """The caller behind a credential, or None when it is unknown or its consultation is over."""
    if not credential:
        return None
    return caller_of(await sql.one(AUTHENTICATE, {"credential": credential_hash(credential)}))


CONNECT = (
    "WITH "
    + CALLER
    + ", touched AS ("
    + touched("(SELECT onetoone_id FROM caller)")
    + ") SELECT "
    + CALLER_COLUMNS
    + " FROM caller"
)


async def connect(sql: Statements, credential: str | None) -> Caller | None:
    """``authenticate`` for a socket that connects, noting the consultation's activity in the
    same statement."""
    if not credential:
        return None
    params = {"credential": credential_hash(credential), "resolution": ACTIVITY_RESOLUTION}
    return caller_of(await sql.one(CONNECT, params))


# The link and, when the client sent a credential, who it is: one round trip.
LINK = (
    "WITH "
    + CALLER
    + """, link AS (
    SELECT s.id AS link_id, s.role AS link_role, s.token AS link_token,
           s.reopened_from_id AS link_reopened_from_id, s.state AS link_state,
           o.id AS link_onetoone_id, o.token AS link_onetoone_token,
           o.status, o.e2ee AS link_e2ee, o.doctor_name AS link_doctor_name
    FROM session s JOIN onetoone o ON o.id = s.onetoone_id
    WHERE s.token = %(session_token)s AND o.token = %(onetoone_token)s
), refused AS (
    SELECT s.onetoone_id AS refused_onetoone_id,
           %(refused_for)s - extract(epoch FROM now() - s.refused_at) AS refused_for_more
    FROM session_credential c JOIN session s ON s.id = c.session_id
    WHERE c.credential_hash = %(credential)s AND s.state = 'refused'
)
SELECT """
    + CALLER_COLUMNS
    + """, link.*, refused.* FROM (SELECT 1) AS one
LEFT JOIN caller ON true LEFT JOIN link ON true LEFT JOIN refused ON true"""
)

# Each way of opening a link is one statement: note the activity (first: the consultation's
# row is locked before the session's), change the session, log the client in, count it.
_OPEN_HEAD = "WITH touched AS (" + touched("%(onetoone_id)s") + ")"
_LOG_IN = (
    "logged_in AS (INSERT INTO session_credential (session_id, credential_hash)"
    " SELECT id, %(credential)s::bytea FROM opened WHERE %(credential)s::bytea IS NOT NULL)"
)
_COUNT = (
    "counted AS (INSERT INTO stats (event, onetoone_id, session_id, detail)"
    " SELECT %(event)s::text, %(onetoone_id)s::integer, id, '{}' FROM opened)"
)
_OPEN_TAIL = ", " + _LOG_IN + ", " + _COUNT + " SELECT " + SESSION_COLUMNS + " FROM opened"
# The doctor's link, or a client opening its own session again: nothing changes.
OPEN_AS_IS = (
    _OPEN_HEAD
    + ", opened AS (SELECT "
    + SESSION_COLUMNS
    + " FROM session WHERE id = %(session_id)s AND (SELECT count(*) FROM touched) >= 0)"
    + _OPEN_TAIL
)
# A one-time link's first use: only one client wins it, the others wait in the room.
OPEN_FIRST_USE = (
    _OPEN_HEAD
    + """, opened AS (
    UPDATE session SET state = 'admitted', token_onetime_used = 1, admitted_at = now(),
                       device_hint = %(device_hint)s, updated_at = now()
    WHERE id = %(session_id)s AND state = 'new' AND (SELECT count(*) FROM touched) >= 0
    RETURNING """
    + SESSION_COLUMNS
    + ")"
    + _OPEN_TAIL
)
# A used link opened by another client: a new session, in the waiting room unless it is full
# (``max_waiting`` waiting, or ``arrivals`` arrived within the last minute, whatever link
# they opened: each waiting device's link is a new one; ``hocovisio_room_for_one_more``
# counts them under the consultation's row lock, so that devices arriving at once count one
# another), announced to the doctor with the device(s) that admitting it would replace.
OPEN_PENDING = (
    _OPEN_HEAD
    + """, opened AS (
    INSERT INTO session (onetoone_id, token, role, reopened_from_id, token_onetime_used,
                         validate_fromadmin, device_hint, state)
    SELECT %(onetoone_id)s::integer, %(token)s::text, %(role)s::text,
           %(reopened_from_id)s::integer, 0, 0, %(device_hint)s::text, 'waiting'
    WHERE (SELECT count(*) FROM touched) >= 0
      AND hocovisio_room_for_one_more(%(onetoone_id)s, %(max_waiting)s, %(arrivals)s)
    RETURNING """
    + SESSION_COLUMNS
    + "), queued AS ("
    + webhooks.queued(
        "participant.waiting",
        "jsonb_build_object('onetoone_id', %(onetoone_id)s::integer, 'session_id', opened.id,"
        " 'role', opened.role)",
        "opened",
    )
    + "), published AS ("
    + published(
        "%(onetoone_id)s::integer",
        "newSessionToValidate",
        '\'{"roles": ["medecin"]}\'::jsonb',
        "jsonb_build_object('session', "
        + session_json("opened")
        + ", 'replaces', hocovisio_link_holders(%(reopened_from_id)s, opened.id))",
        "opened",
    )
    + "), "
    + _LOG_IN
    + ", "
    + _COUNT
    + " SELECT "
    + SESSION_COLUMNS
    + ", (SELECT count(*) FROM published) AS published FROM opened"
)


@dataclass(frozen=True)
class WaitingRoomLimits:
    """How many devices may wait at once in a consultation, how many may arrive in a
    minute, and how long a device the doctor refused cannot ask again (the settings
    ``waiting_room_max``, ``waiting_room_arrivals``, ``waiting_room_refused_for``)."""

    max_waiting: int = 10
    arrivals: int = 30
    refused_for: float = 900.0


ROOM_FULL = "the waiting room is full"
DEVICE_REFUSED = "the doctor did not let this device in"
# When a device turned away by a full waiting room may try again (seconds).
ROOM_FULL_RETRY_AFTER = 30.0


async def open_link(
    sql: Statements,
    onetoone_token: str,
    session_token: str,
    credential: str | None,
    device_hint: str | None = None,
    limits: WaitingRoomLimits = WaitingRoomLimits(),
) -> OpenResult | None:
    """Apply the original specification's rules for ``GET /session/<ot>/<st>``; ``credential``
    is the one the client already holds, if any.

    None means "session not valid". A new pending session is announced to the doctor. A
    one-time link's first use is a conditional update of the session's row: of two clients
    racing on it, one wins, and the other, finding it used under the row's lock, waits in
    the room. ``device_hint`` (see ``device_hints``) is kept by a first use and a pending
    session. A device the doctor refused in this consultation is not let back into the
    waiting room for ``limits.refused_for`` (403), and a full waiting room takes nobody
    more (429).
    """
    params: dict[str, Any] = {
        "credential": credential_param(credential),
        "session_token": session_token,
        "onetoone_token": onetoone_token,
        "refused_for": limits.refused_for,
    }
    row = await sql.one(LINK, params)
    assert row is not None
    if (
        row.link_id is None
        or row.status != "active"
        or not same_secret(session_token, row.link_token)
        or not same_secret(onetoone_token, row.link_onetoone_token)
    ):
        return None
    caller = caller_of(row)
    params = {
        "onetoone_id": row.link_onetoone_id,
        "resolution": ACTIVITY_RESOLUTION,
        "device_hint": device_hint,
    }

    async def open_as(statement: LiteralString, opening: Opening, **more: Any) -> OpenResult | None:
        login = None if opening is Opening.LOGGED_IN else new_token()
        values = {
            **params,
            **more,
            "event": opening.value,
            "credential": credential_param(login),
            "onetoone_token": row.link_onetoone_token,
        }
        opened = await sql.one(statement, values)
        if opened is None:
            return None
        session = {
            **public_session(opened, row.link_onetoone_token),
            "e2ee": row.link_e2ee,
            "doctor_name": row.link_doctor_name,
        }
        return OpenResult(session, opening, login)

    if caller is not None and caller.descends_from(row.link_id):
        result = await open_as(OPEN_AS_IS, Opening.LOGGED_IN, session_id=caller.session_id)
    elif row.link_role == "medecin":
        result = await open_as(OPEN_AS_IS, Opening.MEDECIN, session_id=row.link_id)
    elif row.link_state == "new":
        result = await open_as(OPEN_FIRST_USE, Opening.FIRST_USE, session_id=row.link_id)
    else:
        result = None
    if result is not None:
        return result
    if row.refused_onetoone_id == row.link_onetoone_id and row.refused_for_more > 0:
        raise Refused(403, DEVICE_REFUSED, retry_after=row.refused_for_more)
    result = await open_as(
        OPEN_PENDING,
        Opening.PENDING,
        token=new_token(),
        role=row.link_role,
        reopened_from_id=row.link_reopened_from_id or row.link_id,
        max_waiting=limits.max_waiting,
        arrivals=limits.arrivals,
    )
    if result is None:
        raise Refused(429, ROOM_FULL, retry_after=ROOM_FULL_RETRY_AFTER)
    return result
