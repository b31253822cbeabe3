"""The waiting room: the sessions a used link opened, which wait until the doctor admits or
refuses them.

The doctor hears of it from here: ``newSessionToValidate`` when a client starts waiting (and
again, for each one still waiting, when the doctor's socket connects). Admitting tells the
session ``newSessionIsValidate``, and by default replaces the device that held the link: its
sessions are logged out and told ``sessionReplaced``. Refusing tells the session
``sessionRefused`` (and the doctor's sockets, so that every one of them drops it) and logs
it out. The sockets told they are replaced or refused are closed after that event. A client
that leaves the waiting room is logged out too, and the doctor's sockets are told
``waitingRoomLeft``.
"""

from typing import Any, LiteralString

from app.errors import Refused
from app.persistence.statements import Statements
from app.realtime.broker import Audience, Broker, Event
from app.realtime.notices import published
from app.services.sessions import SESSION_COLUMNS, Caller, public_session, session_json

# A session still in the waiting room: neither admitted, refused nor gone.
STILL_WAITING = "validate_fromadmin = 0 AND refused_at IS NULL AND left_at IS NULL"

WAITING = (
    "SELECT "
    + SESSION_COLUMNS
    + " FROM session WHERE onetoone_id = %(onetoone_id)s AND "
    + STILL_WAITING
    + " ORDER BY id"
)

REFUSED_AGAIN = "that session was refused"
LEFT = "that client left the waiting room"


async def waiting(sql: Statements, onetoone_id: int, onetoone_token: str) -> list[dict[str, Any]]:
    """The consultation's waiting room: its sessions neither admitted, refused nor left,
    oldest first."""
    rows = await sql.all(WAITING, {"onetoone_id": onetoone_id})
    return [public_session(row, onetoone_token) for row in rows]


async def replay(sql: Statements, broker: Broker, doctor: Caller) -> None:
    """Tell a doctor's socket that connects about the clients already waiting, as if they
    had just come.

    Called after the socket subscribed, so none is missed; one arriving in between may be
    announced twice, and clients key the waiting room by session id.
    """
    for session in await waiting(sql, doctor.onetoone_id, doctor.onetoone_token):
        broker.deliver(
            doctor.onetoone_id,
            Event("newSessionToValidate", {"session": session}),
            Audience.sessions(doctor.session_id),
        )


# The session asked for, read again when a request changed nothing: under READ COMMITTED, a
# racing admission or refusal may have committed after the statement's snapshot.
STATE = (
    "SELECT onetoone_id, refused_at IS NOT NULL AS refused, left_at IS NOT NULL AS left_room"
    " FROM session WHERE id = %(id)s"
)


def _logged_out(source: LiteralString) -> LiteralString:
    """A CTE that removes the logins of the sessions of ``source`` (a CTE with their ``id``)."""
    return (
        "logged_out AS (DELETE FROM session_credential WHERE session_id IN (SELECT id FROM "
        + source
        + "))"
    )


# Admit the session; with ``replace``, the link's other admitted sessions (the device that
# held it) are logged out and told, each closing its sockets.
ADMIT = (
    """WITH admitted AS (
    UPDATE session SET validate_fromadmin = 1, token_onetime_used = 1, updated_at = now()
    WHERE id = %(session_id)s AND onetoone_id = %(onetoone_id)s AND """
    + STILL_WAITING
    + """
    RETURNING """
    + SESSION_COLUMNS
    + """, onetoone_id, coalesce(reopened_from_id, id) AS link_id
), replaced AS (
    SELECT s.id, admitted.id AS by_id FROM session s JOIN admitted ON true
    WHERE %(replace)s AND s.onetoone_id = admitted.onetoone_id AND s.id <> admitted.id
      AND s.validate_fromadmin = 1
      AND (s.id = admitted.link_id OR s.reopened_from_id = admitted.link_id)
), """
    + _logged_out("replaced")
    + """, counted AS (
    INSERT INTO stats (event, onetoone_id, session_id, detail)
    SELECT 'validated', onetoone_id, id, jsonb_build_object('replaced', %(replace)s)
    FROM admitted
), published AS ("""
    + published(
        "admitted.onetoone_id",
        "newSessionIsValidate",
        "jsonb_build_object('sessions', jsonb_build_array(admitted.id))",
        "jsonb_build_object('session', " + session_json("admitted") + ")",
        "admitted",
    )
    + "), told AS ("
    + published(
        "%(onetoone_id)s::integer",
        "sessionReplaced",
        "jsonb_build_object('sessions', jsonb_build_array(replaced.id))",
        "jsonb_build_object('sessionId', replaced.id, 'by', replaced.by_id)",
        "replaced",
    )
    + """)
SELECT (SELECT id FROM admitted) AS id,
       (SELECT count(*) FROM published) + (SELECT count(*) FROM told) AS published"""
)

# Refuse a waiting session: it is logged out, and it and the doctor's sockets are told.
REFUSE = (
    """WITH refused AS (
    UPDATE session SET refused_at = now(), updated_at = now()
    WHERE id = %(session_id)s AND onetoone_id = %(onetoone_id)s AND """
    + STILL_WAITING
    + """
    RETURNING id, onetoone_id
), """
    + _logged_out("refused")
    + """, counted AS (
    INSERT INTO stats (event, onetoone_id, session_id, detail)
    SELECT 'refused', onetoone_id, id, '{}' FROM refused
), told AS ("""
    + published(
        "refused.onetoone_id",
        "sessionRefused",
        "jsonb_build_object('sessions', jsonb_build_array(refused.id))",
        "jsonb_build_object('sessionId', refused.id)",
        "refused",
    )
    + "), doctor_told AS ("
    + published(
        "refused.onetoone_id",
        "sessionRefused",
        '\'{"roles": ["medecin"]}\'::jsonb',
        "jsonb_build_object('sessionId', refused.id)",
        "refused",
    )
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
    what became of it: ``refused``, ``left`` or ``admitted``."""
    row = await sql.one(STATE, {"id": session_id})
    if row is None:
        raise Refused(404, "session not found")
    if row.onetoone_id != doctor.onetoone_id:
        raise Refused(403, "session belongs to another consultation")
    return "refused" if row.refused else "left" if row.left_room else "admitted"


async def admit(sql: Statements, doctor: Caller, session_id: int, replace: bool = True) -> None:
    """Admit a waiting session of the doctor's consultation and tell it so (its socket then
    leaves the waiting room); with ``replace``, the device that held the link is logged out.
    Admitting it again changes nothing; a refused session is not admitted (409).

    One conditional update: of two admissions or refusals racing, one changes the session."""
    _doctor_only(doctor, "validate")
    row = await sql.one(ADMIT, _params(doctor, session_id, replace=replace))
    assert row is not None
    if row.id is not None:
        return
    became = await _unchanged(sql, doctor, session_id)
    if became != "admitted":
        raise Refused(409, REFUSED_AGAIN if became == "refused" else LEFT)


async def refuse(sql: Statements, doctor: Caller, session_id: int) -> None:
    """Refuse a waiting session of the doctor's consultation: it is told, logged out and never
    admitted. Refusing it again changes nothing; an admitted session is not refused (409)."""
    _doctor_only(doctor, "refuse")
    row = await sql.one(REFUSE, _params(doctor, session_id))
    assert row is not None
    if row.id is None and await _unchanged(sql, doctor, session_id) == "admitted":
        raise Refused(409, "that session is already admitted")


# The client leaves the room: logged out, and the doctor's sockets told.
LEAVE = (
    """WITH left_room AS (
    UPDATE session SET left_at = now(), updated_at = now()
    WHERE id = %(session_id)s AND """
    + STILL_WAITING
    + """
    RETURNING id, onetoone_id
), """
    + _logged_out("left_room")
    + """, told AS ("""
    + published(
        "left_room.onetoone_id",
        "waitingRoomLeft",
        '\'{"roles": ["medecin"]}\'::jsonb',
        "jsonb_build_object('sessionId', left_room.id)",
        "left_room",
    )
    + """)
SELECT (SELECT id FROM left_room) AS id, (SELECT count(*) FROM told) AS published"""
)


async def leave(sql: Statements, client: Caller) -> None:
    """The waiting client gives up: it is logged out and drops off the doctor's list. 409 for
    a session already admitted."""
    if not client.pending:
        raise Refused(409, "only a client in the waiting room can leave it")
    await sql.one(LEAVE, {"session_id": client.session_id})
