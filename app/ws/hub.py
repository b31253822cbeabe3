"""The participant WebSocket at ``/ws``: events out, requests in.

Each socket reads client frames in one task and writes the broker's events in another.
Requests run in tasks of their own, so that a handler awaiting the client's answer to a
server request (``newConsumer``) never blocks the reading of that answer. The requests a
socket serves are listed here (``DISPATCHER``); a ``Refused`` is answered ``ok: false`` with
its message as ``errorReason``, a database that cannot serve now as ``the service is busy,
try again`` (or ``the database is unavailable, try again``), anything else as ``internal
error``.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from quart import Blueprint, abort, websocket

import protoo
from app import input_guard
from app.errors import Refused
from app.http.auth import credential_from
from app.http.security import client_address
from app.persistence.db import database_unavailable
from app.realtime.broker import Subscription
from app.realtime.dispatch import Dispatcher
from app.realtime.peer import Peer
from app.runtime.state import state
from app.services import onetoones, presence, sessions, waiting_room
from app.services.rate_limits import RateLimited
from app.ws import chat, devices, e2ee, frame_limits, media
from app.ws import presence as presence_requests

log = logging.getLogger(__name__)

bp = Blueprint("ws", __name__)

CLOSE_ENDED = 4000
CLOSE_OVERFLOW = 4001
CLOSE_REPLACED = 4002
CLOSE_REFUSED = 4003
CLOSE_LEFT = 4004
# The events after which the socket of the session they name is closed, and the code.
CLOSING_EVENTS = {
    "sessionReplaced": CLOSE_REPLACED,
    "sessionRefused": CLOSE_REFUSED,
    "waitingRoomLeft": CLOSE_LEFT,
}
CLOSE_TRY_AGAIN = 1013
# A socket whose session moved on while it connected, by the state it is in now: closed at
# once, with the code its session's event would have closed it with; admitted since the
# handshake, its ``newSessionIsValidate`` may have gone before the socket subscribed: 1013,
# and the page reads its session again.
CLOSE_BY_STATE = {
    "replaced": CLOSE_REPLACED,
    "refused": CLOSE_REFUSED,
    "left": CLOSE_LEFT,
    "ended": CLOSE_ENDED,
    "admitted": CLOSE_TRY_AGAIN,
}
# The pauses between tries of a closed socket's database steps while the database is
# unavailable (about 15 s in all): a blip must not leave the socket counted, its session
# online for the others.
LEAVE_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)

DISPATCHER = Dispatcher(
    chat.HANDLERS, presence_requests.HANDLERS, devices.HANDLERS, e2ee.HANDLERS, media.HANDLERS
)


@bp.websocket("/ws")
async def participant_socket() -> None:
    connected = await _connect()
    if connected is None:
        return
    peer, subscription = connected
    reader = asyncio.create_task(_read(peer))
    writer = asyncio.create_task(_write(peer, subscription))
    try:
        # The writer ends the socket with its code, or the reader with 1009.
        done, _ = await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        close_code = reader.result() if reader in done else writer.result()
        writer.cancel()
        reader.cancel()
        await websocket.close(close_code)
    finally:
        writer.cancel()
        reader.cancel()
        # Quart cancels this task once the client has gone: the leaving, which the others
        # are told of, runs to its end regardless.
        await asyncio.shield(_leave(peer, subscription))


async def _connect() -> tuple[Peer, Subscription] | None:
    """Authenticate the socket (its activity noted in the same statement), accept and
    subscribe it, record it if its session is still live, and replay a doctor's waiting
    room; a 401 when the credential is not live.

    The session is read again once the socket is subscribed, under the session's row lock
    (``presence.opened``): a transition that committed since the handshake's check closes the
    socket here (None), one that commits later reaches it as its event. While the database
    cannot serve, the handshake gets a 503; once accepted, the socket is closed with 1013
    (try again later), which clients reconnect after.
    """
    hocovisio = state()
    caller = await sessions.connect(
        hocovisio.sql, credential_from(websocket.headers, websocket.cookies)
    )
    if caller is None:
        abort(401, "session not valid")
    # Each socket costs the database a few statements to open and to close: a client that
    # reconnects in a loop is held back at the handshake.
    try:
        hocovisio.rate_limits.check("socket_open", f"session:{caller.session_id}")
    except RateLimited as limited:
        abort(429, limited.msg)
    protocols = websocket.requested_subprotocols
    await websocket.accept(subprotocol="protoo" if "protoo" in protocols else None)
    peer = Peer(
        websocket.send,
        caller.session_id,
        caller.onetoone_id,
        caller.role,
        caller.pending,
        caller.e2ee,
    )
    # Subscribed before the socket is recorded, so that no event of its own arrival is missed.
    subscription = hocovisio.broker.subscribe(
        peer.onetoone_id, peer.session_id, peer.role, peer.pending, presence.new_socket_id()
    )
    peer.socket_id = subscription.socket_id
    hocovisio.relay.add_socket(peer.socket_id, peer)
    try:
        now = await presence.opened(
            hocovisio.sql,
            subscription.socket_id,
            hocovisio.instance.id,
            _socket(peer),
            hocovisio.settings.max_sockets_per_session,
            _webhooks(),
        )
        if now != ("waiting" if peer.pending else "admitted"):
            await asyncio.shield(_leave(peer, subscription))
            await websocket.close(CLOSE_BY_STATE[now])
            return None
        if peer.role == "medecin":
            # After subscribing, so that no client arriving meanwhile is missed.
            await waiting_room.replay(hocovisio.sql, hocovisio.broker, caller)
    except BaseException as error:
        await asyncio.shield(_leave(peer, subscription))
        if database_unavailable(error) is not None:
            await websocket.close(CLOSE_TRY_AGAIN)
        raise
    return peer, subscription


def _socket(peer: Peer) -> presence.Socket:
    return presence.Socket(peer.onetoone_id, peer.session_id, peer.role)


def _webhooks() -> bool:
    """Whether presence is queued for the webhooks: only when one is configured."""
    return bool(state().settings.webhook_urls)


async def _leave(peer: Peer, subscription: Subscription) -> None:
    hocovisio = state()
    broker = hocovisio.broker
    broker.unsubscribe(subscription)
    peer.abandon_requests()
    hocovisio.media.leave(peer)
    sql = hocovisio.sql
    await _tried(peer, "the media relay", lambda: hocovisio.relay.socket_closed(peer.socket_id))
    await _tried(
        peer,
        "presence",
        lambda: presence.closed(sql, subscription.socket_id, _socket(peer), _webhooks()),
    )
    await _tried(peer, "activity", lambda: onetoones.note_activity(sql, peer.onetoone_id))


async def _tried(peer: Peer, step: str, attempt: Callable[[], Awaitable[object]]) -> None:
    """One step of a closed socket's leaving, tried again while the database is unavailable;
    a failure is logged, and the next steps are taken all the same."""
    for delay in (*LEAVE_RETRY_DELAYS, None):
        try:
            await attempt()
            return
        except Exception as error:
            if delay is None or database_unavailable(error) is None:
                log.warning(
                    "socket %d closed, but %s was not told: %s",
                    peer.socket_id,
                    step,
                    type(error).__name__,
                )
                return
        await asyncio.sleep(delay)


async def _write(peer: Peer, subscription: Subscription) -> int:
    """Forward events until the subscription ends; return the close code."""
    while (event := await subscription.next()) is not None:
        await peer.notify(event.method, event.data)
        if event.method == "newSessionIsValidate" and peer.pending:
            peer.pending = subscription.pending = False
            await presence.admitted(state().sql, subscription.socket_id, _socket(peer), _webhooks())
        elif event.data.get("sessionId") == peer.session_id and event.method in CLOSING_EVENTS:
            return CLOSING_EVENTS[event.method]
    if subscription.resync:
        return CLOSE_TRY_AGAIN
    if subscription.replaced:
        return CLOSE_REPLACED
    return CLOSE_OVERFLOW if subscription.overflowed else CLOSE_ENDED


async def _read(peer: Peer) -> int:
    """Read the client's frames, each request handled in a task of its own, until the client
    goes; return 1009 for a frame over the socket's cap, 1008 for frames faster than its byte
    budget (``frame_limits``), either left unparsed."""
    handlers: set[asyncio.Task[None]] = set()
    admitted_max = frame_limits.admitted_max(state().settings)
    limits = state().rate_limits
    try:
        while True:
            text = await websocket.receive()
            cap = frame_limits.WAITING_MAX if peer.pending else admitted_max
            if len(text) > cap:
                log.warning(
                    "socket %d sent a frame of %d bytes, over its %d: closed",
                    peer.socket_id,
                    len(text),
                    cap,
                )
                return frame_limits.CLOSE_TOO_BIG
            if not limits.spend_frame_bytes(peer.session_id, len(text)):
                log.warning("socket %d sent frames faster than its budget: closed", peer.socket_id)
                return frame_limits.CLOSE_POLICY
            try:
                frame = await _parsed(text)
            except protoo.FrameError as error:
                await peer.send(protoo.failure(error.request_id, str(error)))
                continue
            if isinstance(frame, protoo.Response):
                if not peer.answer(frame):
                    # An answer to the consultation's media home, if it asked.
                    state().relay.answer_home(peer.socket_id, text)
                continue
            task = asyncio.create_task(_handle(peer, frame))
            handlers.add(task)
            task.add_done_callback(handlers.discard)
    finally:
        for task in handlers:
            task.cancel()


async def _parsed(text: str | bytes) -> protoo.Request | protoo.Response:
    """The frame, parsed on the loop when small, in a thread otherwise (``frame_limits``)."""
    if len(text) <= frame_limits.PARSE_ON_LOOP_MAX:
        return protoo.parse(text, input_guard)
    return await asyncio.to_thread(protoo.parse, text, input_guard)


def _admit(peer: Peer) -> None:
    """Every request counts against the socket's limit, a pending socket's and unknown
    methods too: otherwise they are answered as fast as a client can send them."""
    state().rate_limits.check("socket", f"session:{peer.session_id}", client_address(websocket))
    if peer.pending:
        raise Refused(403, "waiting for the doctor's validation")


async def _handle(peer: Peer, frame: protoo.Request) -> None:
    try:
        _admit(peer)
        data = await DISPATCHER.dispatch(peer, frame.method, frame.data)
    except Refused as refused:
        await peer.send(protoo.failure(frame.id, refused.msg))
    except Exception as error:
        reason = database_unavailable(error)
        if reason is None:
            log.exception("request %s failed", frame.method)
        else:
            log.warning("request %s: %s", frame.method, reason)
        await peer.send(protoo.failure(frame.id, reason or "internal error"))
    else:
        await peer.send(protoo.success(frame.id, data))
