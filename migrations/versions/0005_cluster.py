"""cluster: instances on one PostgreSQL, their sockets, and the events between them

Several ``hocovisio run`` instances share one database. Each registers in ``instance`` and
renews its lease; a survivor removes an instance whose lease expired, with its sockets. Every
consultation event is a ``NOTIFY`` on channel ``hocovisio``, sent by the statement or
transaction that makes the change (``hocovisio_publish``): PostgreSQL delivers notifications in
the order of the commits, to every listening instance, once. A payload too large for a
notification is kept in ``cluster_event`` and the notification carries its id.

``live_socket`` holds every open participant socket of every instance: presence
(``peerJoined``, ``peerLeft``) and the cap of sockets per session are decided on it, under the
session's row lock, by functions whose statements each see what committed before them.

``plugged_device`` holds what each station's socket reported plugged in, and ``media_home``
the instance whose SFU carries each consultation's media.

``rate_bucket`` holds the token buckets of the limits that guard secrets (opening links,
validating sessions), so that several instances do not multiply a guesser's rate.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Below NOTIFY's limit of 8000 bytes, with room for the channel name.
MAX_NOTIFY_BYTES = 7900

FUNCTIONS = [
    # A timestamp as the service writes it everywhere (``app.persistence.models._base.iso``).
    """
CREATE FUNCTION hocovisio_iso(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00'
$$""",
    # One event of a consultation to every instance, at the commit of the caller's transaction.
    f"""
CREATE FUNCTION hocovisio_publish(
    onetoone_id integer, method text, audience jsonb, data jsonb, kind text DEFAULT NULL
) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    payload text := json_build_object(
        'o', onetoone_id, 'm', method, 'a', audience, 'd', data, 'k', kind)::text;
    kept bigint;
BEGIN
    IF octet_length(payload) > {MAX_NOTIFY_BYTES} THEN
        INSERT INTO cluster_event (payload) VALUES (payload) RETURNING id INTO kept;
        payload := json_build_object('o', onetoone_id, 'ref', kept)::text;
    END IF;
    PERFORM pg_notify('hocovisio', payload);
    RETURN 1;
END
$$""",
    # A validated socket of the session closed or was reaped: peerLeft when it was its last.
    # The caller holds the session's row lock.
    """
CREATE FUNCTION hocovisio_session_left(p_onetoone integer, p_session integer)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM live_socket WHERE session_id = p_session AND NOT pending) THEN
        RETURN false;
    END IF;
    PERFORM hocovisio_publish(p_onetoone, 'peerLeft', jsonb_build_object('except', p_session),
                              jsonb_build_object('peerId', p_session));
    RETURN true;
END
$$""",
    # The session has a validated socket: peerJoined when it is its only one.
    """
CREATE FUNCTION hocovisio_session_joined(
    p_onetoone integer, p_session integer, p_role text, p_socket bigint
) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM live_socket
               WHERE session_id = p_session AND NOT pending AND id <> p_socket) THEN
        RETURN false;
    END IF;
    PERFORM hocovisio_publish(p_onetoone, 'peerJoined', jsonb_build_object('except', p_session),
                              jsonb_build_object('peerId', p_session, 'role', p_role));
    RETURN true;
END
$$""",
    # A socket opened (its id chosen by its instance, which knows it before any notice can
    # name it): record it, replace the session's oldest beyond ``keep``, announce the
    # session if it is its first validated socket. Locks: the consultation's row (key share),
    # then the session's, as every transaction takes them.
    """
CREATE FUNCTION hocovisio_socket_open(
    p_socket bigint, p_instance integer, p_onetoone integer, p_session integer, p_role text,
    p_pending boolean, p_keep integer
) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    stale bigint[];
BEGIN
    PERFORM 1 FROM onetoone WHERE id = p_onetoone FOR KEY SHARE;
    PERFORM 1 FROM session WHERE id = p_session FOR NO KEY UPDATE;
    INSERT INTO live_socket (id, instance_id, onetoone_id, session_id, role, pending)
    VALUES (p_socket, p_instance, p_onetoone, p_session, p_role, p_pending);
    SELECT array_agg(id) INTO stale FROM (
        SELECT id FROM live_socket WHERE session_id = p_session AND NOT replaced
        ORDER BY opened_at DESC, id DESC OFFSET p_keep) AS beyond;
    IF stale IS NOT NULL THEN
        UPDATE live_socket SET replaced = true WHERE id = ANY (stale);
        PERFORM hocovisio_publish(p_onetoone, '', NULL, jsonb_build_object('sockets', stale),
                                  'replace');
    END IF;
    RETURN NOT p_pending AND hocovisio_session_joined(p_onetoone, p_session, p_role, p_socket);
END
$$""",
    # A pending socket's session was admitted.
    """
CREATE FUNCTION hocovisio_socket_admitted(p_socket bigint) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    s live_socket;
BEGIN
    SELECT * INTO s FROM live_socket WHERE id = p_socket;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM 1 FROM onetoone WHERE id = s.onetoone_id FOR KEY SHARE;
    PERFORM 1 FROM session WHERE id = s.session_id FOR NO KEY UPDATE;
    UPDATE live_socket SET pending = false WHERE id = p_socket AND pending;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    RETURN hocovisio_session_joined(s.onetoone_id, s.session_id, s.role, p_socket);
END
$$""",
    # A socket closed (or its instance died): forget it, announce the session if it was its
    # last validated socket. ``p_queue``: also queue that for the webhooks (a dead instance's
    # sockets; a serving instance queues its own when it has webhook URLs).
    """
CREATE FUNCTION hocovisio_socket_close(p_socket bigint, p_queue boolean DEFAULT false)
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
    IF NOT FOUND OR s.pending OR NOT hocovisio_session_left(s.onetoone_id, s.session_id) THEN
        RETURN false;
    END IF;
    IF p_queue THEN
        INSERT INTO webhook_event (event, data) VALUES ('participant.left', jsonb_build_object(
            'onetoone_id', s.onetoone_id, 'session_id', s.session_id, 'role', s.role));
    END IF;
    RETURN true;
END
$$""",
    # An instance is gone (its lease expired, or it stopped): its sockets are closed as their
    # clients' leaving, the consultations whose media it carried are told to join the media
    # again (on a new home), the others forget what they relayed for it, and its row goes.
    """
CREATE FUNCTION hocovisio_instance_gone(p_instance integer) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    socket bigint;
    homed integer;
BEGIN
    FOR socket IN SELECT id FROM live_socket WHERE instance_id = p_instance LOOP
        PERFORM hocovisio_socket_close(socket, true);
    END LOOP;
    FOR homed IN SELECT onetoone_id FROM media_home WHERE instance_id = p_instance LOOP
        PERFORM hocovisio_publish(homed, 'mediaReset', NULL,
                                  jsonb_build_object('reason', 'instance gone'));
    END LOOP;
    PERFORM hocovisio_publish(0, '', NULL, jsonb_build_object('instance', p_instance), 'gone');
    DELETE FROM instance WHERE id = p_instance;
END
$$""",
    # Remove the instances whose lease expired; return how many.
    """
CREATE FUNCTION hocovisio_reap() RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    dead integer;
    reaped integer := 0;
BEGIN
    FOR dead IN SELECT id FROM instance WHERE lease_until < now() FOR UPDATE SKIP LOCKED LOOP
        PERFORM hocovisio_instance_gone(dead);
        reaped := reaped + 1;
    END LOOP;
    RETURN reaped;
END
$$""",
    # A message to one instance (the media relay), kept in ``cluster_event`` when too large.
    f"""
CREATE FUNCTION hocovisio_send(p_instance integer, p_payload text) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    payload text := p_payload;
    kept bigint;
BEGIN
    IF octet_length(payload) > {MAX_NOTIFY_BYTES} THEN
        INSERT INTO cluster_event (payload) VALUES (payload) RETURNING id INTO kept;
        payload := json_build_object('ref', kept)::text;
    END IF;
    PERFORM pg_notify('hocovisio_' || p_instance, payload);
    RETURN 1;
END
$$""",
    # Spend a token of ``p_action`` for each key, as ``app.services.rate_limits.TokenBuckets``
    # does in one process; return 0, or the seconds until every key has one again.
    """
CREATE FUNCTION hocovisio_take(
    p_action text, p_keys text[], p_per_second double precision, p_capacity double precision
) RETURNS double precision LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    k text;
    held double precision;
    since timestamptz;
    wait double precision := 0;
BEGIN
    FOREACH k IN ARRAY p_keys LOOP
        INSERT INTO rate_bucket VALUES (p_action, k, p_capacity, clock_timestamp())
        ON CONFLICT DO NOTHING;
        SELECT tokens, updated_at INTO held, since FROM rate_bucket
        WHERE action = p_action AND key = k FOR UPDATE;
        held := least(p_capacity,
                      held + extract(epoch FROM clock_timestamp() - since) * p_per_second);
        IF held >= 1 THEN
            held := held - 1;
        ELSE
            wait := greatest(wait, (1 - held) / p_per_second);
        END IF;
        UPDATE rate_bucket SET tokens = held, updated_at = clock_timestamp()
        WHERE action = p_action AND key = k;
    END LOOP;
    RETURN wait;
END
$$""",
]

FUNCTION_NAMES = [
    "hocovisio_send(integer, text)",
    "hocovisio_take(text, text[], double precision, double precision)",
    "hocovisio_reap()",
    "hocovisio_instance_gone(integer)",
    "hocovisio_socket_close(bigint, boolean)",
    "hocovisio_socket_admitted(bigint)",
    "hocovisio_socket_open(bigint, integer, integer, integer, text, boolean, integer)",
    "hocovisio_session_joined(integer, integer, text, bigint)",
    "hocovisio_session_left(integer, integer)",
    "hocovisio_publish(integer, text, jsonb, jsonb, text)",
    "hocovisio_iso(timestamptz)",
]


def upgrade() -> None:
    op.create_table(
        "instance",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        # Where its SFU listens (announced address, RTC ports): for the operators' eyes.
        sa.Column("rtc", sa.String(300), nullable=False, server_default=""),
        sa.Column(
            "started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "live_socket",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column(
            "instance_id",
            sa.Integer,
            sa.ForeignKey("instance.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "onetoone_id",
            sa.Integer,
            sa.ForeignKey("onetoone.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("session.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("pending", sa.Boolean, nullable=False),
        sa.Column("replaced", sa.Boolean, nullable=False, server_default=sa.false()),
        # The order of a session's sockets, under its row lock: not the transaction's start.
        sa.Column(
            "opened_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("clock_timestamp()"),
        ),
    )
    # Every socket is a row inserted then deleted: vacuum it often, not at 20 % of a table
    # that is always small.
    op.execute(
        "ALTER TABLE live_socket SET (autovacuum_vacuum_scale_factor = 0,"
        " autovacuum_vacuum_threshold = 1000)"
    )
    op.create_index("ix_live_socket_session_id", "live_socket", ["session_id"])
    op.create_index("ix_live_socket_onetoone_id", "live_socket", ["onetoone_id"])
    op.create_index("ix_live_socket_instance_id", "live_socket", ["instance_id"])
    # What each station's socket reported plugged in; gone with the socket
    # (``hocovisio_socket_close`` announces it).
    op.create_table(
        "plugged_device",
        sa.Column(
            "socket_id",
            sa.BigInteger,
            sa.ForeignKey("live_socket.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "onetoone_id",
            sa.Integer,
            sa.ForeignKey("onetoone.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("peer_id", sa.Integer, nullable=False),  # the station's session
        sa.Column("device_id", sa.Integer, nullable=False),
        sa.Column("node", sa.String(200)),
        sa.Column("device", postgresql.JSONB, nullable=False),  # the catalogue's public fields
    )
    op.create_index(
        "ix_plugged_device_key",
        "plugged_device",
        ["peer_id", "device_id", sa.text("coalesce(node, '')")],
        unique=True,
    )
    op.create_index("ix_plugged_device_socket_id", "plugged_device", ["socket_id"])
    op.create_index("ix_plugged_device_onetoone_id", "plugged_device", ["onetoone_id"])
    # The instance whose SFU carries each consultation's media; gone with it.
    op.create_table(
        "media_home",
        sa.Column(
            "onetoone_id",
            sa.Integer,
            sa.ForeignKey("onetoone.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "instance_id",
            sa.Integer,
            sa.ForeignKey("instance.id", ondelete="CASCADE"),
            nullable=False,
        ),
    )
    op.create_index("ix_media_home_instance_id", "media_home", ["instance_id"])
    op.create_table(
        "cluster_event",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_cluster_event_created_at", "cluster_event", ["created_at"])
    # Unlogged: a crash may lose the buckets, which only makes them full again.
    op.execute(
        "CREATE UNLOGGED TABLE rate_bucket ("
        " action varchar(32) NOT NULL, key text NOT NULL,"
        " tokens double precision NOT NULL, updated_at timestamptz NOT NULL,"
        " PRIMARY KEY (action, key))"
    )
    for function in FUNCTIONS:
        op.execute(function)


def downgrade() -> None:
    for name in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION {name}")
    op.drop_table("rate_bucket")
    op.drop_table("cluster_event")
    op.drop_table("media_home")
    op.drop_table("plugged_device")
    op.drop_table("live_socket")
    op.drop_table("instance")
