"""What each participant sends, as its page says it: camera ``on``, ``off`` (turned off) or
``none`` (no camera, or the permission refused), microphone ``on``, ``muted`` or ``none``.

The others are told (``mediaState {peerId, camera, microphone}``) instead of guessing from
the tracks they receive: a patient without a camera and one who turned it off look the same
on the wire. The state is kept on the socket's row of ``live_socket``, so that a socket that
asks who is online (``getPeers``) learns it, whichever instance the others are on.
"""

import json
from typing import Any

from app.errors import Refused
from app.persistence.statements import Statements
from app.realtime.notices import published

CHOICES = {"camera": ("on", "off", "none"), "microphone": ("on", "muted", "none")}

SET = (
    """WITH changed AS (
    UPDATE live_socket SET media_state = %(state)s::jsonb
    WHERE id = %(socket_id)s AND NOT pending
    RETURNING onetoone_id, session_id
), published AS ("""
    + published(
        "changed.onetoone_id",
        "mediaState",
        "jsonb_build_object('except', changed.session_id)",
        "jsonb_build_object('peerId', changed.session_id) || %(state)s::jsonb",
        "changed",
    )
    + ") SELECT (SELECT count(*) FROM published) AS published"
)

# The validated sessions online, each with the state of its socket that last said one.
ONLINE = """SELECT DISTINCT ON (session_id) session_id, role, media_state FROM live_socket
WHERE onetoone_id = %(onetoone_id)s AND NOT pending
ORDER BY session_id, media_state IS NULL, opened_at DESC"""


def checked(data: dict[str, Any]) -> dict[str, str]:
    """The state asked for, or a 400 naming the field that is not one of its choices."""
    state = {}
    for field, choices in CHOICES.items():
        value = data.get(field)
        if value not in choices:
            raise Refused(400, f"{field} must be one of {', '.join(choices)}")
        state[field] = value
    return state


async def report(sql: Statements, socket_id: int, state: dict[str, str]) -> None:
    """Keep the socket's state and tell the consultation's other sessions."""
    await sql.one(SET, {"socket_id": socket_id, "state": json.dumps(state)})


async def online(sql: Statements, onetoone_id: int) -> list[dict[str, Any]]:
    """The consultation's validated sessions with an open socket on any instance: their id,
    role and, once their page said it, ``mediaState``."""
    peers = []
    for row in await sql.all(ONLINE, {"onetoone_id": onetoone_id}):
        peer: dict[str, Any] = {"id": row.session_id, "role": row.role}
        if row.media_state is not None:
            peer["mediaState"] = row.media_state
        peers.append(peer)
    return peers
