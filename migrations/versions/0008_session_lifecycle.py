"""a participant's life as one state machine: ``session.state``

A session is in one of ``new`` (a patient's or guest's link not used yet), ``waiting`` (a used
link opened by another client, until the doctor decides), ``admitted`` (in the consultation:
the doctor, a link's first user, a waiting session the doctor let in), ``replaced`` (the doctor
admitted another device of its link in its place), ``refused``, ``left`` (it gave up waiting,
or its page went away) and ``ended`` (its consultation ended). Every transition is one
statement guarded by the state it leaves (``docs/api.md`` lists them); a credential works only
while its session is ``waiting`` or ``admitted``. ``validate_fromadmin`` and
``token_onetime_used`` stay, as the original specification's answers show them.

``admitted_at`` is when the session came into the consultation: the doctor is told, for a
waiting device, which device admitting it would replace and since when.

The functions: ``hocovisio_socket_open`` records a socket only while its session is live, under
the session's row lock, so that a socket racing its session's replacement is either recorded
before (and closed by ``sessionReplaced``) or refused; ``hocovisio_admit`` admits a waiting
session, the admissions of one link taking turns on its first session's row so that the last
replaces the others; ``hocovisio_link_holders`` is the device(s) holding a link, as the
waiting room shows them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = ("new", "waiting", "admitted", "replaced", "refused", "left", "ended")

# The states a session starts in, from the columns that said it before.
BACKFILL = """
UPDATE session s SET state = CASE
    WHEN o.status <> 'active' THEN 'ended'
    WHEN s.refused_at IS NOT NULL THEN 'refused'
    WHEN s.left_at IS NOT NULL THEN 'left'
    WHEN s.validate_fromadmin = 0 THEN 'waiting'
    WHEN s.role = 'medecin' THEN 'admitted'
    WHEN s.token_onetime_used = 0 THEN 'new'
    WHEN EXISTS (SELECT 1 FROM session_credential c WHERE c.session_id = s.id) THEN 'admitted'
    ELSE 'replaced'
END, admitted_at = CASE WHEN s.validate_fromadmin = 1 THEN s.updated_at END
FROM onetoone o WHERE o.id = s.onetoone_id
"""

FUNCTIONS = [
    # A session as the answers show it (``app.services.sessions.public_session``).
    """
CREATE FUNCTION hocovisio_session_json(
    id integer, token text, role text, token_onetime_used integer, validate_fromadmin integer,
    created_at timestamptz, updated_at timestamptz, device_hint text, onetoone_token text
) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', id, 'token', token, 'onetoone_token', onetoone_token,
        'role', role, 'token_onetime_used', token_onetime_used,
        'validate_fromadmin', validate_fromadmin, 'created_at', hocovisio_iso(created_at),
        'updated_at', hocovisio_iso(updated_at), 'device_hint', device_hint)
$$""",
    # The admitted sessions of the link ``p_link`` (its first session's id) but ``p_except``:
    # the device(s) that admitting a waiting session of that link with ``replace`` logs out.
    """
CREATE FUNCTION hocovisio_link_holders(p_link integer, p_except integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'device_hint', device_hint,
                                                 'admitted_at', hocovisio_iso(admitted_at))
                              ORDER BY id), '[]'::jsonb)
    FROM session
    WHERE (id = p_link OR reopened_from_id = p_link) AND id <> p_except AND state = 'admitted'
$$""",
    # Whether one more device may start waiting in the consultation: fewer than ``p_max``
    # wait, and fewer than ``p_arrivals`` arrived in the last minute. Arrivals take turns on
    # the consultation's row (held until the caller's statement commits its new session); each
    # count below, a statement of a volatile function, sees the arrivals committed before.
    """
CREATE FUNCTION hocovisio_room_for_one_more(p_onetoone integer, p_max integer, p_arrivals integer)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM 1 FROM onetoone WHERE id = p_onetoone FOR NO KEY UPDATE;
    RETURN (SELECT count(*) FROM session
            WHERE onetoone_id = p_onetoone AND state = 'waiting') < p_max
       AND (SELECT count(*) FROM session
            WHERE onetoone_id = p_onetoone AND reopened_from_id IS NOT NULL
              AND created_at > now() - interval '1 minute') < p_arrivals;
END
$$""",
    # A socket opened: recorded only while its session is live (``waiting`` or ``admitted``),
    # read under the session's row lock, which every transition takes. Returns the session's
    # state, or ``joined`` when this is the first validated socket of an admitted session
    # (``peerJoined`` was published). Locks: the consultation's row (key share), then the
    # session's, as every transaction takes them.
    """
CREATE FUNCTION hocovisio_socket_open(
    p_socket bigint, p_instance integer, p_onetoone integer, p_session integer, p_role text,
    p_keep integer
) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    stale bigint[];
    current text;
BEGIN
    PERFORM 1 FROM onetoone WHERE id = p_onetoone FOR KEY SHARE;
    SELECT state INTO current FROM session WHERE id = p_session FOR NO KEY UPDATE;
    IF current IS NULL OR current NOT IN ('waiting', 'admitted') THEN
        RETURN coalesce(current, 'ended');
    END IF;
    INSERT INTO live_socket (id, instance_id, onetoone_id, session_id, role, pending)
    VALUES (p_socket, p_instance, p_onetoone, p_session, p_role, current = 'waiting');
    SELECT array_agg(id) INTO stale FROM (
        SELECT id FROM live_socket WHERE session_id = p_session AND NOT replaced
        ORDER BY opened_at DESC, id DESC OFFSET p_keep) AS beyond;
    IF stale IS NOT NULL THEN
        UPDATE live_socket SET replaced = true WHERE id = ANY (stale);
        PERFORM hocovisio_publish(p_onetoone, '', NULL, jsonb_build_object('sockets', stale),
                                  'replace');
    END IF;
    IF current = 'admitted'
       AND hocovisio_session_joined(p_onetoone, p_session, p_role, p_socket) THEN
        RETURN 'joined';
    END IF;
    RETURN current;
END
$$""",
    # A socket closed (or its instance died): forget it, announce the session if it was its
    # last validated socket. A waiting session left with no socket is noted (``updated_at``):
    # ``app.services.waiting_room.sweep`` lets it go if none comes back. ``p_queue``: also
    # queue the leaving for the webhooks (a dead instance's sockets).
    """
CREATE OR REPLACE FUNCTION hocovisio_socket_close(p_socket bigint, p_queue boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    s live_socket;
    d plugged_device;
BEGIN
    SELECT * INTO s FROM live_socket WHERE id = p_socket;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM 1 FROM onetoone WHERE id = s.onetoone_id FOR KEY SHARE;
    PERFORM 1 FROM session WHERE id = s.session_id FOR NO KEY UPDATE;
    -- What a station's socket had plugged in is gone for the others too.
    FOR d IN DELETE FROM plugged_device WHERE socket_id = p_socket RETURNING * LOOP
        PERFORM hocovisio_publish(
            d.onetoone_id, 'deviceDisconnected', jsonb_build_object('except', d.peer_id),
            jsonb_build_object('device', d.device, 'node', d.node, 'peerId', d.peer_id));
        INSERT INTO stats (event, onetoone_id, session_id, detail)
        VALUES ('device_disconnected', d.onetoone_id, d.peer_id,
                jsonb_build_object('kind', d.device -> 'kind',
                                   'media_kind', d.device -> 'media_kind'));
    END LOOP;
    DELETE FROM live_socket WHERE id = p_socket RETURNING * INTO s;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF s.pending THEN
        UPDATE session SET updated_at = now()
        WHERE id = s.session_id AND state = 'waiting'
          AND NOT EXISTS (SELECT 1 FROM live_socket WHERE session_id = s.session_id);
        RETURN false;
    END IF;
    IF NOT hocovisio_session_left(s.onetoone_id, s.session_id) THEN
        RETURN false;
    END IF;
    IF p_queue THEN
        INSERT INTO webhook_event (event, data) VALUES ('participant.left', jsonb_build_object(
            'onetoone_id', s.onetoone_id, 'session_id', s.session_id, 'role', s.role));
    END IF;
    RETURN true;
END
$$""",
    # Admit the waiting session ``p_session`` of the consultation: ``newSessionIsValidate`` to
    # it; with ``p_replace``, the link's other admitted sessions become ``replaced``, each
    # told ``sessionReplaced`` (its sockets close). The admissions of one link take turns on
    # its first session's row, and each statement here sees what committed before it: of
    # several admitted at once, the last replaces the others. NULL when the session was not
    # waiting (or not of this consultation).
    """
CREATE FUNCTION hocovisio_admit(
    p_session integer, p_onetoone integer, p_replace boolean, p_onetoone_token text
) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    link integer;
    a session;
    gone integer;
BEGIN
    SELECT coalesce(reopened_from_id, id) INTO link FROM session
    WHERE id = p_session AND onetoone_id = p_onetoone;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM session WHERE id = link FOR NO KEY UPDATE;
    UPDATE session SET state = 'admitted', validate_fromadmin = 1, token_onetime_used = 1,
                       admitted_at = now(), updated_at = now()
    WHERE id = p_session AND state = 'waiting' RETURNING * INTO a;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO stats (event, onetoone_id, session_id, detail)
    VALUES ('validated', p_onetoone, a.id, jsonb_build_object('replaced', p_replace));
    PERFORM hocovisio_publish(p_onetoone, 'newSessionIsValidate',
                              jsonb_build_object('sessions', jsonb_build_array(a.id)),
                              jsonb_build_object('session', hocovisio_session_json(
                                  a.id, a.token, a.role, a.token_onetime_used,
                                  a.validate_fromadmin, a.created_at, a.updated_at,
                                  a.device_hint, p_onetoone_token)));
    IF p_replace THEN
        FOR gone IN UPDATE session SET state = 'replaced', updated_at = now()
                    WHERE (id = link OR reopened_from_id = link) AND id <> a.id
                      AND state = 'admitted'
                    RETURNING id LOOP
            PERFORM hocovisio_publish(p_onetoone, 'sessionReplaced',
                                      jsonb_build_object('sessions', jsonb_build_array(gone)),
                                      jsonb_build_object('sessionId', gone, 'by', a.id));
        END LOOP;
    END IF;
    RETURN a.id;
END
$$""",
]

OLD_SOCKET_OPEN = "hocovisio_socket_open(bigint, integer, integer, integer, text, boolean, integer)"
NEW_FUNCTION_NAMES = [
    "hocovisio_admit(integer, integer, boolean, text)",
    "hocovisio_room_for_one_more(integer, integer, integer)",
    "hocovisio_socket_open(bigint, integer, integer, integer, text, integer)",
    "hocovisio_link_holders(integer, integer)",
    "hocovisio_session_json(integer, text, text, integer, integer, timestamptz, timestamptz,"
    " text, text)",
]


def _cluster_functions() -> list[str]:
    """Migration 0005's functions (its module's name starts with a digit: loaded by path)."""
    path = Path(__file__).with_name("0005_cluster.py")
    spec = importlib.util.spec_from_file_location("cluster_0005", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.FUNCTIONS)


def upgrade() -> None:
    op.add_column("session", sa.Column("state", sa.String(16), nullable=True))
    op.add_column("session", sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(BACKFILL)
    op.alter_column("session", "state", nullable=False)
    op.create_check_constraint(
        "ck_session_state", "session", "state IN (" + ", ".join(f"'{s}'" for s in STATES) + ")"
    )
    # The waiting room of a consultation, and the sweep of waiting sessions whose page is gone.
    op.create_index(
        "ix_session_waiting",
        "session",
        ["onetoone_id"],
        postgresql_where=sa.text("state = 'waiting'"),
    )
    op.create_index("ix_session_reopened_from_id", "session", ["reopened_from_id"])
    op.execute(f"DROP FUNCTION {OLD_SOCKET_OPEN}")
    for function in FUNCTIONS:
        op.execute(function)


def downgrade() -> None:
    for name in NEW_FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION {name}")
    # 0005's socket functions, as they were.
    for function in _cluster_functions():
        if "hocovisio_socket_open(" in function or "hocovisio_socket_close(" in function:
            op.execute(function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    op.drop_index("ix_session_reopened_from_id", table_name="session")
    op.drop_index("ix_session_waiting", table_name="session")
    op.drop_constraint("ck_session_state", "session")
    op.drop_column("session", "admitted_at")
    op.drop_column("session", "state")
