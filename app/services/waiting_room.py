"""The waiting room: the sessions a used link opened, which wait until the doctor admits or
refuses them.

The doctor hears of it from here: ``newSessionToValidate`` when a client starts waiting (and
again, for each one still waiting, when the doctor's socket connects). Admitting tells the
session ``newSessionIsValidate``, and by default replaces the device that held the link: its
sessions become ``replaced`` and are told ``sessionReplaced``. Refusing tells the session
``sessionRefused`` (and the doctor's sockets, so that every one of them drops it). A client
that leaves the waiting room, or whose page has been gone for ``waiting_room_grace``, is
``left``, and the doctor's sockets are told ``waitingRoomLeft``. The sockets told they are
replaced, refused or left are closed after that event; their credentials stop working with
the transition (``sessions.LIVE``). Each transition is one statement guarded by the state it
leaves (``docs/api.md``, "A participant's life"): of two racing, one changes the session and
the other answers 409.
"""

from typing import Any, LiteralString

from app.errors import Refused
from app.persistence.statements import Statements
from app.realtime.broker import Audience, Broker, Event
from app.realtime.notices import published
from app.services.sessions import SESSION_COLUMNS, Caller, public_session

# A session still in the waiting room: neither admitted, refused nor gone.
STILL_WAITING = "state = 'waiting'"

# The waiting sessions, each with the device(s) admitting it would replace.
WAITING = (
    "SELECT "
    + SESSION_COLUMNS
    + ", hocovisio_link_holders(coalesce(reopened_from_id, id), id) AS replaces"
    " FROM session WHERE onetoone_id = %(onetoone_id)s AND " + STILL_WAITING + " ORDER BY id"
)

# The doctor's sockets, as an audience in SQL.
DOCTOR = '\'{"roles": ["medecin"]}\'::jsonb'


def _told(method: LiteralString, source: LiteralString, doctor: bool) -> LiteralString:
    """A CTE's body that publishes ``method {sessionId}`` once per row of ``source`` (a CTE
    with the sessions' ``id`` and ``onetoone_id``): to the doctor's sockets, or to the
    session's own (which close after it)."""
    audience = (
        DOCTOR if doctor else "jsonb_build_object('sessions', jsonb_build_array(" + source + ".id))"
    )
    return published(
        source + ".onetoone_id",
        method,
        audience,
        "jsonb_build_object('sessionId', " + source + ".id)",
        source,
    )


REFUSED_AGAIN = "that session was refused"
LEFT = "that client left the waiting room"


async def waiting(sql: Statements, onetoone_id: int, onetoone_token: str) -> list[dict[str, Any]]:
    """The consultation's waiting room as ``newSessionToValidate`` tells it: ``{session,
    replaces}`` for each session neither admitted, refused nor gone, oldest first."""
    rows = await sql.all(WAITING, {"onetoone_id": onetoone_id})
    return [
        {"session": public_session(row, onetoone_token), "replaces": row.replaces} for row in rows
    ]


async def replay(sql: Statements, broker: Broker, doctor: Caller) -> None:
    """Tell a doctor's socket that connects about the clients already waiting, as if they
    had just come.

    Called after the socket subscribed, so none is missed; one arriving in between may be
    announced twice, and clients key the waiting room by session id. The waiting room holds
    at most ``waiting_room_max`` (100 at the most) sessions, far below a socket's backlog.
    """
    for entry in await waiting(sql, doctor.onetoone_id, doctor.onetoone_token):
        broker.deliver(
            doctor.onetoone_id,
            Event("newSessionToValidate", entry),
            Audience.sessions(doctor.session_id),
        )


# The session asked for, read again when a request changed nothing: under READ COMMITTED, a
# racing admission or refusal may have committed after the statement's snapshot.
STATE = "SELECT onetoone_id, state FROM session WHERE id = %(id)s"

# Admit the session (``hocovisio_admit``, migration 0008); with ``replace``, the link's other
# admitted sessions (the device that held it) are replaced and told, each closing its sockets.
ADMIT = (
    "SELECT hocovisio_admit(%(session_id)s, %(onetoone_id)s, %(replace)s, %(onetoone_token)s) AS id"
)

# Refuse a waiting session: it and the doctor's sockets are told (its own then close). Its
# credential stays, so that the device is known if it opens the link again.
REFUSE = (
    """WITH refused AS (
    UPDATE session SET state = 'refused', refused_at = now(), updated_at = now()
    WHERE id = %(session_id)s AND onetoone_id = %(onetoone_id)s AND """
    + STILL_WAITING
    + """
    RETURNING id, onetoone_id
), counted AS (
    INSERT INTO stats (event, onetoone_id, session_id, detail)
    SELECT 'refused', onetoone_id, id, '{}' FROM refused
), told AS ("""
    + _told("sessionRefused", "refused", doctor=False)
    + "), doctor_told AS ("
    + _told("sessionRefused", "refused", doctor=True)
    + """)
SELECT (SELECT id FROM refused) AS id,
       (SELECT count(*) FROM told) + (SELECT count(*) FROM doctor_told) AS published"""
)


def _doctor_only(doctor: Caller, doing: str) -> None:
    if doctor.role != "medecin":
        raise Refused(403, f"only the doctor can {doing} a session")


def _params(doctor: Caller, session_id: int, **more: Any) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "onetoone_id": doctor.onetoone_id,
        "onetoone_token": doctor.onetoone_token,
        **more,
    }


async def _unchanged(sql: Statements, doctor: Caller, session_id: int) -> str:
    """Why a request changed nothing: 404 no such session, 403 another consultation's; else
    the state it is in now."""
    row = await sql.one(STATE, {"id": session_id})
    if row is None:
        raise Refused(404, "session not found")
    if row.onetoone_id != doctor.onetoone_id:
        raise Refused(403, "session belongs to another consultation")
    return str(row.state)


# Why a doctor's admission changed nothing, by the state the session is in: none for a
# session admitted already (admitting twice changes nothing).
NOT_ADMITTED = {
    "new": "that session is not in the waiting room",
    "refused": REFUSED_AGAIN,
    "left": LEFT,
    "replaced": "that session was replaced by another device",
    "ended": "the consultation has ended",
}


async def admit(sql: Statements, doctor: Caller, session_id: int, replace: bool = True) -> None:
    """Admit a waiting session of the doctor's consultation and tell it so (its socket then
    leaves the waiting room); with ``replace``, the device that held the link is replaced.
    Admitting it again changes nothing; a session refused, gone or replaced is not admitted
    (409).

    One guarded transition (``hocovisio_admit``): of admissions, refusals and leavings racing
    on one session, one changes it; admissions of one link take turns, the last replacing."""
    _doctor_only(doctor, "validate")
    row = await sql.one(ADMIT, _params(doctor, session_id, replace=replace))
    assert row is not None
    if row.id is not None:
        return
    became = await _unchanged(sql, doctor, session_id)
    if became in NOT_ADMITTED:
        raise Refused(409, NOT_ADMITTED[became])


async def refuse(sql: Statements, doctor: Caller, session_id: int) -> None:
    """Refuse a waiting session of the doctor's consultation: it is told, its credential
    stops working and it is never admitted. Refusing a session already out of the waiting
    room (refused, left) changes nothing; an admitted one is not refused (409)."""
    _doctor_only(doctor, "refuse")
    row = await sql.one(REFUSE, _params(doctor, session_id))
    assert row is not None
    if row.id is not None:
        return
    became = await _unchanged(sql, doctor, session_id)
    if became in ("admitted", "replaced"):
        raise Refused(409, "that session is already admitted")
    if became == "new":
        raise Refused(409, NOT_ADMITTED["new"])


# The client leaves the room: its sockets and the doctor's are told (its own then close).
LEAVE = (
    """WITH left_room AS (
    UPDATE session SET state = 'left', left_at = now(), updated_at = now()
    WHERE id = %(session_id)s AND """
    + STILL_WAITING
    + """
    RETURNING id, onetoone_id
), told AS ("""
    + _told("waitingRoomLeft", "left_room", doctor=False)
    + "), doctor_told AS ("
    + _told("waitingRoomLeft", "left_room", doctor=True)
    + """)
SELECT (SELECT id FROM left_room) AS id,
       (SELECT count(*) FROM told) + (SELECT count(*) FROM doctor_told) AS published"""
)


async def leave(sql: Statements, client: Caller) -> None:
    """The waiting client gives up: its credential stops working and it drops off the
    doctor's list. 409 when the doctor decided first (admitted or refused it)."""
    if not client.pending:
        raise Refused(409, "only a client in the waiting room can leave it")
    row = await sql.one(LEAVE, {"session_id": client.session_id})
    if row is None or row.id is None:
        raise Refused(409, "the doctor has already decided on this session")


# The waiting sessions whose page is gone: no socket open for ``grace`` seconds (since the
# last one closed, or since they were opened). They leave the room, and the doctor is told.
SWEEP = (
    """WITH left_room AS (
    UPDATE session SET state = 'left', left_at = now(), updated_at = now()
    WHERE """
    + STILL_WAITING
    + """ AND updated_at < now() - make_interval(secs => %(grace)s)
      AND NOT EXISTS (SELECT 1 FROM live_socket WHERE live_socket.session_id = session.id)
    RETURNING id, onetoone_id
), doctor_told AS ("""
    + _told("waitingRoomLeft", "left_room", doctor=True)
    + ") SELECT count(*) AS swept FROM doctor_told"
)


async def sweep(sql: Statements, grace: float) -> int:
    """Let go the waiting sessions without an open socket for ``grace`` seconds; how many."""
    row = await sql.one(SWEEP, {"grace": grace})
    return row.swept if row is not None else 0
