"""The participant WebSocket at ``/ws``: events out, requests in.

Each socket reads client frames in one task and writes the broker's events in another.
Requests run in tasks of their own, so that a handler awaiting the client's answer to a
server request (``newConsumer``) never blocks the reading of that answer.
"""

import asyncio
import logging

from quart import Blueprint, abort, websocket

import protoo
from app import input_guard
from app.auth import credential_from
from app.broker import Audience, Event, Subscription
from app.devices.requests import station_left
from app.services import onetoones, sessions
from app.services.sessions import authenticate
from app.state import state
from app.ws.peer import Peer
from app.ws.requests import RequestError, requests

log = logging.getLogger(__name__)

bp = Blueprint("ws", __name__)

CLOSE_ENDED = 4000
CLOSE_OVERFLOW = 4001
CLOSE_REPLACED = 4002


@bp.websocket("/ws")
async def participant_socket() -> None:
    async with state().db() as db:
        caller = await authenticate(db, credential_from(websocket.headers, websocket.cookies))
        if caller is not None:
            await onetoones.touch(db, caller.onetoone_id)
            await db.commit()
    if caller is None:
        abort(401, "session not valid")
    protocols = websocket.requested_subprotocols
    await websocket.accept(subprotocol="protoo" if "protoo" in protocols else None)

    broker = state().broker
    session = caller.session
    peer = Peer(
        websocket.send, caller.session_id, caller.onetoone_id, session.role, session.is_pending
    )
    subscription = broker.subscribe(peer.onetoone_id, peer.session_id, peer.role, peer.pending)
    broker.replace_oldest(subscription, state().settings.max_sockets_per_session)
    if not peer.pending:
        _announce_joined(peer)
    reader = asyncio.create_task(_read(peer))
    try:
        if peer.role == "medecin":
            await _replay_waiting_room(peer, caller.onetoone.token)
        close_code = await _write(peer, subscription)
        reader.cancel()
        await websocket.close(close_code)
    finally:
        reader.cancel()
        broker.unsubscribe(subscription)
        peer.abandon_requests()
        state().media.leave(peer)
        _announce_left(peer)
        await station_left(peer)
        async with state().db() as db:
            await onetoones.touch(db, peer.onetoone_id)
            await db.commit()


async def _replay_waiting_room(peer: Peer, onetoone_token: str) -> None:
    """Tell a doctor who connects about the clients already waiting, as if they had just come.

    Queried after subscribing, so none is missed; one arriving in between may be announced
    twice, and clients key the waiting room by session id.
    """
    async with state().db() as db:
        waiting = await sessions.pending(db, peer.onetoone_id)
    for session in waiting:
        state().broker.publish(
            peer.onetoone_id,
            Event("newSessionToValidate", {"session": session.public(onetoone_token)}),
            Audience.sessions(peer.session_id),
        )


def _announce_joined(peer: Peer) -> None:
    """``peerJoined`` when the session comes online: this is its only validated socket."""
    broker = state().broker
    if broker.open_sockets(peer.onetoone_id, peer.session_id) == 1:
        broker.publish(
            peer.onetoone_id,
            Event("peerJoined", {"peerId": peer.session_id, "role": peer.role}),
            Audience.everyone_but(peer.session_id),
        )


def _announce_left(peer: Peer) -> None:
    """``peerLeft`` when the session's last validated socket has gone (unsubscribed)."""
    broker = state().broker
    if not peer.pending and broker.open_sockets(peer.onetoone_id, peer.session_id) == 0:
        broker.publish(
            peer.onetoone_id,
            Event("peerLeft", {"peerId": peer.session_id}),
            Audience.everyone_but(peer.session_id),
        )


async def _write(peer: Peer, subscription: Subscription) -> int:
    """Forward events until the subscription ends; return the close code."""
    while (event := await subscription.next()) is not None:
        await peer.notify(event.method, event.data)
        if event.method == "newSessionIsValidate" and peer.pending:
            peer.pending = subscription.pending = False
            _announce_joined(peer)
    if subscription.replaced:
        return CLOSE_REPLACED
    return CLOSE_OVERFLOW if subscription.overflowed else CLOSE_ENDED


async def _read(peer: Peer) -> None:
    handlers: set[asyncio.Task[None]] = set()
    try:
        while True:
            text = await websocket.receive()
            try:
                frame = protoo.parse(text, input_guard)
            except protoo.FrameError as error:
                await peer.send(protoo.failure(error.request_id, str(error)))
                continue
            if isinstance(frame, protoo.Response):
                peer.answer(frame)
                continue
            task = asyncio.create_task(_handle(peer, frame))
            handlers.add(task)
            task.add_done_callback(handlers.discard)
    finally:
        for task in handlers:
            task.cancel()


async def _handle(peer: Peer, frame: protoo.Request) -> None:
    try:
        data = await requests.dispatch(peer, frame.method, frame.data)
    except RequestError as error:
        await peer.send(protoo.failure(frame.id, str(error)))
    except Exception:
        log.exception("request %s failed", frame.method)
        await peer.send(protoo.failure(frame.id, "internal error"))
    else:
        await peer.send(protoo.success(frame.id, data))
