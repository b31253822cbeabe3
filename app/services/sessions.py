"""Participants' sessions: opening links, logging clients in, the waiting room.

The doctor hears of the waiting room from here: ``newSessionToValidate`` when a used link
opens a pending session (and again for each one still waiting when the doctor's socket
connects), ``newSessionIsValidate`` to the session the doctor admits.
"""

from dataclasses import dataclass
from enum import Enum

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import Refused
from app.persistence.db import retried
from app.persistence.models import OneToOne, Session, SessionCredential
from app.realtime.broker import Audience, Broker, Event
from app.services import onetoones, stats
from app.services.tokens import credential_hash, new_token, same_secret


@dataclass
class Caller:
    """A logged-in client: the session its credential belongs to, in an active consultation."""

    session: Session
    onetoone: OneToOne

    @property
    def session_id(self) -> int:
        assert self.session.id is not None
        return self.session.id

    @property
    def onetoone_id(self) -> int:
        assert self.onetoone.id is not None
        return self.onetoone.id


class Opening(Enum):
    MEDECIN = "opened"
    LOGGED_IN = "reopened"
    FIRST_USE = "first_use"
    PENDING = "pending"


@dataclass
class OpenResult:
    session: Session
    onetoone: OneToOne
    opening: Opening
    credential: str | None


async def authenticate(db: AsyncSession, credential: str | None) -> Caller | None:
    """The caller behind a credential, or None when it is unknown or its consultation is over."""
    if not credential:
        return None
    row = (
        await db.exec(
            select(Session, OneToOne)
            .join(SessionCredential, SessionCredential.session_id == Session.id)
            .join(OneToOne, OneToOne.id == Session.onetoone_id)
            .where(SessionCredential.credential_hash == credential_hash(credential))
            .where(OneToOne.status == "active")
        )
    ).first()
    return Caller(*row) if row else None


async def pending(db: AsyncSession, onetoone_id: int) -> list[Session]:
    """The consultation's waiting room: its sessions not yet admitted, oldest first."""
    return list(
        (
            await db.exec(
                select(Session)
                .where(Session.onetoone_id == onetoone_id)
                .where(Session.validate_fromadmin == 0)
                .order_by(Session.id)
            )
        ).all()
    )


async def _log_in(db: AsyncSession, session: Session) -> str:
    credential = new_token()
    assert session.id is not None
    db.add(SessionCredential(session_id=session.id, credential_hash=credential_hash(credential)))
    return credential


@retried
async def open_link(
    db: AsyncSession,
    broker: Broker,
    onetoone_token: str,
    session_token: str,
    caller: Caller | None,
) -> OpenResult | None:
    """Apply the original specification's rules for ``GET /session/<ot>/<st>``.

    None means "session not valid". A new pending session is announced to the doctor. The
    session row is locked, so two clients racing on a one-time link cannot both get it;
    ``FOR NO KEY UPDATE``, so that a message or document inserted meanwhile, which only
    references the session, does not wait for it.
    """
    row = (
        await db.exec(
            select(Session, OneToOne)
            .join(OneToOne, OneToOne.id == Session.onetoone_id)
            .where(Session.token == session_token, OneToOne.token == onetoone_token)
            .with_for_update(of=Session, key_share=True)
        )
    ).first()
    if row is None:
        return None
    session, onetoone = row
    if (
        onetoone.status != "active"
        or not same_secret(session_token, session.token)
        or not same_secret(onetoone_token, onetoone.token)
    ):
        return None

    if caller is not None and caller.session.descends_from(session):
        own = await db.get(Session, caller.session_id)
        assert own is not None
        result = OpenResult(own, onetoone, Opening.LOGGED_IN, None)
    elif session.role == "medecin":
        result = OpenResult(session, onetoone, Opening.MEDECIN, await _log_in(db, session))
    elif session.token_onetime_used == 0 and not session.is_pending:
        session.token_onetime_used = 1
        db.add(session)
        result = OpenResult(session, onetoone, Opening.FIRST_USE, await _log_in(db, session))
    else:
        assert onetoone.id is not None
        pending = Session(
            onetoone_id=onetoone.id,
            token=new_token(),
            role=session.role,
            reopened_from_id=session.reopened_from_id or session.id,
            token_onetime_used=0,
            validate_fromadmin=0,
        )
        db.add(pending)
        await db.flush()
        result = OpenResult(pending, onetoone, Opening.PENDING, await _log_in(db, pending))
    stats.record(db, result.opening.value, onetoone.id, result.session.id)
    await onetoones.touch(db, onetoone.id)
    await db.commit()
    await db.refresh(result.session)
    if result.opening is Opening.PENDING:
        broker.publish(
            onetoone.id,
            Event("newSessionToValidate", {"session": result.session.public(onetoone.token)}),
            Audience.role("medecin"),
        )
    return result


async def replay_waiting_room(db: AsyncSession, broker: Broker, doctor: Caller) -> None:
    """Tell a doctor's socket that connects about the clients already waiting, as if they
    had just come.

    Called after the socket subscribed, so none is missed; one arriving in between may be
    announced twice, and clients key the waiting room by session id.
    """
    for session in await pending(db, doctor.onetoone_id):
        broker.publish(
            doctor.onetoone_id,
            Event("newSessionToValidate", {"session": session.public(doctor.onetoone.token)}),
            Audience.sessions(doctor.session_id),
        )


@retried
async def validate(db: AsyncSession, broker: Broker, doctor: Caller, session_id: int) -> None:
    """Admit a pending session of the doctor's consultation, and tell it so (its socket then
    leaves the waiting room); admitting it again changes nothing."""
    if doctor.session.role != "medecin":
        raise Refused(403, "only the doctor can validate a session")
    session = (
        await db.exec(
            select(Session).where(Session.id == session_id).with_for_update(key_share=True)
        )
    ).first()
    if session is None:
        raise Refused(404, "session not found")
    if session.onetoone_id != doctor.onetoone_id:
        raise Refused(403, "session belongs to another consultation")
    if not session.is_pending:
        await db.rollback()
        return
    session.validate_fromadmin = 1
    session.token_onetime_used = 1
    db.add(session)
    stats.record(db, "validated", session.onetoone_id, session.id)
    await db.commit()
    await db.refresh(session)
    broker.publish(
        doctor.onetoone_id,
        Event("newSessionIsValidate", {"session": session.public(doctor.onetoone.token)}),
        Audience.sessions(session_id),
    )
