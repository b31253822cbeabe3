"""The consultation's shared medical form. Every read and write of it is audited; every
write is announced to the other participants (``infoUpdate``).

Each request is one statement that also authenticates its caller (``sessions.CALLER``): the
credential, the form, its audit row and the consultation's activity in one round trip.
"""

from typing import Any

from app.errors import Refused
from app.persistence.statements import Statements, jsonb
from app.realtime.notices import published
from app.services.onetoones import ACTIVITY_RESOLUTION, touched
from app.services.sessions import CALLER, CALLER_COLUMNS, admitted, caller_of, credential_param

# The merge and its size check are one UPDATE: under the row's lock (PostgreSQL re-reads a
# row a concurrent writer changed, and checks it again), so concurrent writers can neither
# lose each other's fields nor together grow the form past ``max_bytes``. The consultation's
# activity comes first (``touched``: its row before the form's).
MERGE = (
    "WITH "
    + CALLER
    + ", touched AS ("
    + touched("(SELECT onetoone_id FROM caller WHERE NOT pending)")
    + """), merged AS (
    UPDATE medical_info AS form SET data = form.data || %(fields)s, updated_at = now()
    FROM caller
    WHERE form.onetoone_id = caller.onetoone_id AND NOT caller.pending
      AND octet_length((form.data || %(fields)s)::text) <= %(max_bytes)s
      AND (SELECT count(*) FROM touched) >= 0
    RETURNING form.id
), audited AS (
    INSERT INTO audit (action, onetoone_id, session_id, role)
    SELECT 'form.update', caller.onetoone_id, caller.session_id, caller.role
    FROM caller, merged
), published AS ("""
    + published(
        "caller.onetoone_id",
        "infoUpdate",
        "jsonb_build_object('except', caller.session_id)",
        "jsonb_build_object('id', merged.id, 'data', %(fields)s, 'session_id', caller.session_id,"
        " 'role', caller.role)",
        "caller, merged",
    )
    + """)
SELECT """
    + CALLER_COLUMNS
    + """, merged.id AS form_id, (SELECT count(*) FROM published) AS published
FROM caller LEFT JOIN merged ON true"""
)


async def merge(
    sql: Statements,
    credential: str | None,
    fields: dict[str, Any],
    max_bytes: int,
) -> int:
    """Merge ``fields`` into the caller's form, so concurrent writers never lose fields.

    The size check is evaluated on the row as it stands under its lock: concurrent writers
    cannot together grow the form past ``max_bytes`` (its JSON text, in bytes). The other
    participants get the fields as ``infoUpdate``. Returns the form's id.
    """
    if not credential:
        raise Refused(401, "session not valid")
    params = {
        "credential": credential_param(credential),
        "fields": jsonb(fields),
        "max_bytes": max_bytes,
        "resolution": ACTIVITY_RESOLUTION,
    }
    row = await sql.one(MERGE, params)
    admitted(caller_of(row))
    assert row is not None
    if row.form_id is None:
        raise Refused(413, f"the form would be larger than {max_bytes} bytes")
    return row.form_id


READ = (
    "WITH "
    + CALLER
    + """, audited AS (
    INSERT INTO audit (action, onetoone_id, session_id, role)
    SELECT 'form.read', onetoone_id, session_id, role FROM caller WHERE NOT pending
)
SELECT """
    + CALLER_COLUMNS
    + """, form.id AS form_id, form.data FROM caller
LEFT JOIN medical_info AS form ON form.onetoone_id = caller.onetoone_id AND NOT caller.pending"""
)


async def read(sql: Statements, credential: str | None) -> tuple[int, dict[str, Any]]:
    """The caller's form as it stands now: its id and its data."""
    if not credential:
        raise Refused(401, "session not valid")
    row = await sql.one(READ, {"credential": credential_param(credential)})
    admitted(caller_of(row))
    assert row is not None
    return row.form_id, row.data
