"""Races between a participant's transitions, through real servers: one instance, or two on one
database (the doctor's requests on the first, the raced socket on the last).

Each race counts its tries and what each try came to; the tests assert that none of them let a
device that was put out of the consultation keep a socket, send a message, or carry a key.
"""

import asyncio
import base64
import random
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import websockets

from tests.client import Consultation, Socket, create_consultation, open_socket
from tests.server import RunningServer

CLOSE_REPLACED = 4002
# A P-256 public key as the pages send it (the server checks its form, not the curve).
PUBLIC_KEY = base64.urlsafe_b64encode(b"\x04" + bytes(range(64))).rstrip(b"=").decode()
WRAPPED_KEY = base64.urlsafe_b64encode(bytes(24)).rstrip(b"=").decode()


@dataclass
class Device:
    """One client (its own cookie jar) holding one session."""

    http: httpx.AsyncClient
    session: dict[str, Any]
    credential: str

    @property
    def id(self) -> int:
        return int(self.session["id"])

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential}"}

    async def admitted(self) -> bool:
        """Whether its credential still works for a participant's request."""
        answer = await self.http.get("/session/infos", headers=self.auth())
        assert answer.status_code in (200, 401, 403), answer.text
        return answer.status_code == 200


class Clinic:
    """Devices opening one consultation's links on the given servers."""

    def __init__(self, servers: list[RunningServer]) -> None:
        self.servers = servers
        self._clients: list[httpx.AsyncClient] = []
        self._sockets: list[Socket] = []

    async def __aenter__(self) -> "Clinic":
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Each socket's reader ends here, its end taken: a reader left to end with the server
        # (4000) would report its exception from a finalizer, at any later point of the run.
        for socket in self._sockets:
            await socket.peer.close()
        for client in self._clients:
            await client.aclose()

    def client(self, on: int = 0) -> httpx.AsyncClient:
        # Plain HTTP on loopback: no certificate store to load for each of hundreds of clients.
        client = httpx.AsyncClient(base_url=self.servers[on].base_url, timeout=15, verify=False)
        self._clients.append(client)
        return client

    async def consultation(self, e2ee: bool = False) -> Consultation:
        return await create_consultation(self.client(), self.servers[0].operator_key, e2ee=e2ee)

    async def device(self, link: str, on: int = 0, status: int = 200) -> Device:
        http = self.client(on)
        answer = await http.get(link)
        assert answer.status_code == status, answer.text
        session = answer.json().get("session", {})
        return Device(http, session, session.get("credential", ""))

    async def socket(self, device: Device, on: int = 0) -> Socket:
        socket = await open_socket(self.servers[on].ws_url, device.credential)
        self._sockets.append(socket)
        return socket


async def closed_with(socket: Socket, timeout: float = 5.0) -> int | None:
    """The code the server closed ``socket`` with (its reader's end taken, so that it is not
    reported as never retrieved)."""
    async with asyncio.timeout(timeout):
        await socket.connection.wait_closed()
    await socket.peer.close()
    return socket.connection.close_code


@dataclass
class ReplaceRace:
    """What the tries of ``replace_against_connect`` came to."""

    tries: int = 0
    refused_at_handshake: int = 0  # the replacement committed before the handshake's check
    closed_on_connect: int = 0  # ... between the handshake and the socket's recording
    closed_by_event: int = 0  # recorded first, then told ``sessionReplaced`` and closed
    # Failures: a socket left open, a request served after the replacement, a key handed.
    left_open: list[int] = field(default_factory=list)
    served_after: list[tuple[int, str]] = field(default_factory=list)
    keys_handed: list[int] = field(default_factory=list)


async def replace_against_connect(
    clinic: Clinic, db: psycopg.AsyncConnection, tries: int, e2ee: bool, race: ReplaceRace
) -> None:
    """The doctor admits a new device of the patient's link (replace, the default) while the
    device that holds it opens a socket 0-20 ms later, ``tries`` times in one consultation;
    then a barrier: a message from the last holder reaches the doctor after everything."""
    socket_on = len(clinic.servers) - 1
    consultation = await clinic.consultation(e2ee=e2ee)
    doctor = await clinic.device(consultation.link("medecin"))
    doctor_socket = await clinic.socket(doctor)
    holder = await clinic.device(consultation.link("patient"))
    old_sockets: list[Socket] = []
    for attempt in range(tries):
        newcomer = await clinic.device(consultation.link("patient"), on=attempt % 2 * socket_on)
        assert newcomer.session["validate_fromadmin"] == 0

        async def connect(device: Device = holder) -> Socket | None:
            await asyncio.sleep(random.uniform(0, 0.02))
            try:
                return await clinic.socket(device, on=socket_on)
            except websockets.InvalidStatus as refused:
                assert refused.response.status_code == 401
                return None

        admitted, old = await asyncio.gather(
            doctor.http.post("/validate", json={"sessionId": newcomer.id}, headers=doctor.auth()),
            connect(),
        )
        assert admitted.status_code == 200, admitted.text
        race.tries += 1
        if old is None:
            race.refused_at_handshake += 1
        else:
            old_sockets.append(old)
            # The replacement has committed: anything the old socket asks now is refused, and
            # no key is handed to it, whether or not its event has reached it yet.
            asks: list[tuple[str, dict[str, Any]]] = [
                ("sendMessage", {"text": f"zombie-{attempt}"})
            ]
            if e2ee:
                asks.append(("announceE2eeKey", {"publicKey": PUBLIC_KEY}))
            for method, data in asks:
                try:
                    answer = await old.request(method, data)
                except Exception:
                    continue  # closed under the request: not served
                if answer.get("ok"):
                    race.served_after.append((attempt, method))
            if e2ee:
                await _hand_keys(db, doctor_socket, holder, attempt, race)
            try:
                code = await closed_with(old)
            except TimeoutError:
                race.left_open.append(attempt)
            else:
                assert code == CLOSE_REPLACED, code
                told = any(f.get("method") == "sessionReplaced" for f in old.notifications)
                if told:
                    race.closed_by_event += 1
                else:
                    race.closed_on_connect += 1
        assert not await holder.admitted()
        holder = newcomer
    # The barrier: the last holder's message reaches the doctor after every try's.
    barrier = await clinic.socket(holder, on=socket_on)
    sent = await barrier.request("sendMessage", {"text": "barrier"})
    assert sent["ok"], sent
    async with asyncio.timeout(10):
        while True:
            message = (await doctor_socket.event("newMessage"))["message"]
            assert not message["body"].startswith("zombie-"), message
            if message["body"] == "barrier":
                break
    for old in old_sockets:
        bodies = [
            f["data"]["message"]["body"]
            for f in old.notifications
            if f.get("method") == "newMessage"
        ]
        assert "barrier" not in bodies
        assert not any(f.get("method") == "e2eeSenderKey" for f in old.notifications)
    await barrier.close()
    await doctor_socket.close()


async def _hand_keys(
    db: psycopg.AsyncConnection,
    doctor_socket: Socket,
    replaced: Device,
    attempt: int,
    race: ReplaceRace,
) -> None:
    """The doctor tries to hand its sender key to every socket the replaced device still has
    recorded: each must be refused."""
    rows = await (
        await db.execute("SELECT id FROM live_socket WHERE session_id = %s", (replaced.id,))
    ).fetchall()
    for (socket_id,) in rows:
        answer = await doctor_socket.request(
            "sendE2eeKey",
            {"socketId": str(socket_id), "publicKey": PUBLIC_KEY, "index": 0, "key": WRAPPED_KEY},
        )
        if answer.get("ok"):
            race.keys_handed.append(attempt)


async def admissions_at_once(clinic: Clinic, waiting: int, on: list[int]) -> list[bool]:
    """``waiting`` devices of the patient's link admitted at once (each admission sent to the
    server ``on[n % len(on)]``), replacing: whose credentials work after, the link's first
    device first."""
    consultation = await clinic.consultation()
    doctor = await clinic.device(consultation.link("medecin"))
    holder = await clinic.device(consultation.link("patient"))
    newcomers = [await clinic.device(consultation.link("patient")) for _ in range(waiting)]
    # Each waits as a page does, its socket open: a waiting session without one leaves.
    sockets = [await clinic.socket(newcomer) for newcomer in newcomers]
    doctors = [clinic.client(on[n % len(on)]) for n in range(waiting)]
    answers = await asyncio.gather(
        *(
            http.post("/validate", json={"sessionId": newcomer.id}, headers=doctor.auth())
            for http, newcomer in zip(doctors, newcomers, strict=True)
        )
    )
    assert [a.status_code for a in answers] == [200] * waiting, [a.text for a in answers]
    working = [await device.admitted() for device in [holder, *newcomers]]
    for socket in sockets:
        await socket.close()
    return working
