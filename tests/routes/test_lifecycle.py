"""A participant's life as one state machine (docs/api.md, "A participant's life"): each
transition raced against the others and against sockets connecting, through a real server.

The server here has its own settings: no rate limits and no limit on arrivals in the waiting
room (the races open links and admit hundreds of times), room for twenty-five waiting devices,
and a short grace for a waiting page that went away.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import websockets

from tests.client import Socket, open_socket
from tests.lifecycle import (
    Clinic,
    ReplaceRace,
    admissions_at_once,
    closed_with,
    replace_against_connect,
)
from tests.server import RunningServer, hocovisio

GRACE = 5.0
WAITING_MAX = 25
# Tries of the replace-against-connect race, in chains (consultations) run side by side.
CHAINS, TRIES_PER_CHAIN = 10, 100


@pytest.fixture(scope="module")
def lifecycle_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    env = {
        "HOCOVISIO_RATE_LIMIT_ENABLED": "false",
        "HOCOVISIO_WAITING_ROOM_MAX": str(WAITING_MAX),
        "HOCOVISIO_WAITING_ROOM_ARRIVALS": "10000",
        "HOCOVISIO_WAITING_ROOM_GRACE": str(GRACE),
        "HOCOVISIO_INSTANCE_LEASE": "3",  # a sweep every second
    }
    with hocovisio(database_url, tmp_path_factory.mktemp("lifecycle"), env) as server:
        yield server


@pytest.fixture
async def clinic(lifecycle_server: RunningServer) -> AsyncIterator[Clinic]:
    async with Clinic([lifecycle_server]) as made:
        yield made


@pytest.fixture
async def adb(lifecycle_server: RunningServer) -> AsyncIterator[psycopg.AsyncConnection]:
    async with await psycopg.AsyncConnection.connect(
        lifecycle_server.database_url, autocommit=True
    ) as connection:
        yield connection


@pytest.mark.parametrize("e2ee", [False, True], ids=["clear", "encrypted"])
async def test_a_replaced_device_keeps_no_socket(
    clinic: Clinic, adb: psycopg.AsyncConnection, e2ee: bool
):
    """1,000 tries of the doctor admitting a new device of the patient's link while the old
    device opens its socket 0-20 ms later: every socket of the old device is refused at the
    handshake or closed with 4002, nothing it asks after the replacement is served, no key
    is handed to it, and no event after its replacement reaches it."""
    race = ReplaceRace()
    await asyncio.gather(
        *(replace_against_connect(clinic, adb, TRIES_PER_CHAIN, e2ee, race) for _ in range(CHAINS))
    )
    assert race.tries == CHAINS * TRIES_PER_CHAIN
    assert race.left_open == []
    assert race.served_after == []
    assert race.keys_handed == []
    outcomes = race.refused_at_handshake + race.closed_on_connect + race.closed_by_event
    assert outcomes == race.tries, race
    print(f"replace against connect ({'encrypted' if e2ee else 'clear'}): {race}")
    # Nothing of a session put out of the consultation is left recorded.
    (stale,) = await (
        await adb.execute(
            "SELECT count(*) FROM live_socket l JOIN session s ON s.id = l.session_id"
            " WHERE s.state NOT IN ('waiting', 'admitted')"
        )
    ).fetchone()
    assert stale == 0


async def test_leave_and_admit_at_once_one_wins(clinic: Clinic):
    """50 tries of the waiting device leaving while the doctor admits it: one of the two
    answers 200, the other 409, and every device is where the winner put it."""
    consultation = await clinic.consultation()
    doctor = await clinic.device(consultation.link("medecin"))
    doctor_socket = await clinic.socket(doctor)
    holder = await clinic.device(consultation.link("patient"))
    admitted = left = 0
    for _ in range(50):
        newcomer = await clinic.device(consultation.link("patient"))
        validate, leave = await asyncio.gather(
            doctor.http.post("/validate", json={"sessionId": newcomer.id}, headers=doctor.auth()),
            newcomer.http.post("/session/leave", headers=newcomer.auth()),
        )
        assert sorted([validate.status_code, leave.status_code]) == [200, 409], (
            validate.text,
            leave.text,
        )
        if validate.status_code == 200:
            admitted += 1
            # Decided before the leave's statement, or before it was even authenticated.
            assert leave.json()["msg"] in (
                "the doctor has already decided on this session",
                "only a client in the waiting room can leave it",
            )
            assert await newcomer.admitted() and not await holder.admitted()
            holder = newcomer
        else:
            left += 1
            assert validate.json() == {"msg": "that client left the waiting room"}
            assert not await newcomer.admitted() and await holder.admitted()
            assert await doctor_socket.event("waitingRoomLeft") == {"sessionId": newcomer.id}
    assert admitted + left == 50
    print(f"leave against admit: {admitted} admitted, {left} left")


async def test_admissions_at_once_leave_one_device_in(clinic: Clinic):
    """Two waiting devices of one link admitted at once, 12 times, then 20 at once: the
    last admission replaces the others, and exactly one device's credential works."""
    for _ in range(12):
        working = await admissions_at_once(clinic, 2, on=[0])
        assert working.count(True) == 1, working
        assert not working[0]  # the device that held the link is out
    working = await admissions_at_once(clinic, 20, on=[0])
    assert working.count(True) == 1, working


async def test_a_waiting_page_that_goes_away_leaves_the_room(clinic: Clinic):
    """A waiting device whose socket closes, or which never opens one, drops off the doctor's
    list after the grace; one whose socket comes back in time stays; admitting one that left
    is refused, and the device that holds the link stays in."""
    consultation = await clinic.consultation()
    doctor = await clinic.device(consultation.link("medecin"))
    doctor_socket = await clinic.socket(doctor)
    holder = await clinic.device(consultation.link("patient"))
    gone, never, back = [await clinic.device(consultation.link("patient")) for _ in range(3)]
    for device in (gone, never, back):
        announced = await doctor_socket.event("newSessionToValidate")
        assert announced["session"]["id"] == device.id
        # The doctor is told which device admitting it would put out of the call.
        assert [r["id"] for r in announced["replaces"]] == [holder.id]
    gone_socket, back_socket = await clinic.socket(gone), await clinic.socket(back)
    await gone_socket.close()
    await back_socket.close()
    back_again = await clinic.socket(back)
    left = {(await doctor_socket.event("waitingRoomLeft", timeout=4 * GRACE))["sessionId"]}
    left.add((await doctor_socket.event("waitingRoomLeft", timeout=4 * GRACE))["sessionId"])
    assert left == {gone.id, never.id}
    for device in (gone, never):
        refused = await doctor.http.post(
            "/validate", json={"sessionId": device.id}, headers=doctor.auth()
        )
        assert refused.status_code == 409
        assert refused.json() == {"msg": "that client left the waiting room"}
    assert await holder.admitted()
    # The device whose socket came back still waits, and is admitted.
    admitted = await doctor.http.post(
        "/validate", json={"sessionId": back.id}, headers=doctor.auth()
    )
    assert admitted.status_code == 200
    await back_again.event("newSessionIsValidate")
    assert await back.admitted() and not await holder.admitted()


async def test_leaving_closes_the_leavers_sockets(clinic: Clinic):
    consultation = await clinic.consultation()
    doctor = await clinic.device(consultation.link("medecin"))
    doctor_socket = await clinic.socket(doctor)
    await clinic.device(consultation.link("patient"))
    waiting = await clinic.device(consultation.link("patient"))
    socket = await clinic.socket(waiting)
    left = await waiting.http.post("/session/leave", headers=waiting.auth())
    assert left.status_code == 200
    assert await socket.event("waitingRoomLeft") == {"sessionId": waiting.id}
    assert await closed_with(socket) == 4004
    assert await doctor_socket.event("waitingRoomLeft") == {"sessionId": waiting.id}


async def test_a_refused_device_does_not_ring_again(clinic: Clinic):
    """Three reloads of a refused page: each answered 403, the doctor rung by none of them
    (the next device to arrive is the next the doctor hears of)."""
    consultation = await clinic.consultation()
    doctor = await clinic.device(consultation.link("medecin"))
    doctor_socket = await clinic.socket(doctor)
    await clinic.device(consultation.link("patient"))
    pest = await clinic.device(consultation.link("patient"))
    assert (await doctor_socket.event("newSessionToValidate"))["session"]["id"] == pest.id
    refused = await doctor.http.post("/refuse", json={"sessionId": pest.id}, headers=doctor.auth())
    assert refused.status_code == 200
    for _ in range(3):
        again = await pest.http.get(consultation.link("patient"))  # its cookie names it
        assert again.status_code == 403
        assert again.json() == {"msg": "the doctor did not let this device in"}
        assert int(again.headers["Retry-After"]) > 800
    visitor = await clinic.device(consultation.link("patient"))
    assert (await doctor_socket.event("newSessionToValidate"))["session"]["id"] == visitor.id
    assert not any(
        f.get("method") == "newSessionToValidate" for f in doctor_socket.notifications
    ), doctor_socket.notifications


async def test_the_waiting_room_is_bounded_and_the_doctor_still_gets_in(
    clinic: Clinic, lifecycle_server: RunningServer
):
    """A full waiting room turns the next device away (429); a doctor's socket that connects
    then is told of every waiting device and stays open."""
    consultation = await clinic.consultation()
    await clinic.device(consultation.link("patient"))
    waiting = await asyncio.gather(
        *(clinic.device(consultation.link("patient")) for _ in range(WAITING_MAX))
    )
    full = await clinic.client().get(consultation.link("patient"))
    assert full.status_code == 429 and full.json() == {"msg": "the waiting room is full"}
    assert "Retry-After" in full.headers
    doctor = await clinic.device(consultation.link("medecin"))
    doctor_socket = await clinic.socket(doctor)
    told = await doctor_socket.events("newSessionToValidate", WAITING_MAX)
    assert sorted(e["session"]["id"] for e in told) == sorted(d.id for d in waiting)
    assert (await doctor_socket.request("getPeers"))["ok"]
    # One leaves: there is room for one more.
    assert (await waiting[0].http.post("/session/leave", headers=waiting[0].auth())).is_success
    await clinic.device(consultation.link("patient"))


async def test_arrivals_are_limited_per_consultation_not_per_link(
    database_url: str, tmp_path: Path
):
    """A flood of new devices, each opening the link of the waiting session it was last
    given (a new link each time), from 12 client addresses: no more than the consultation's
    arrivals a minute (20) start waiting, whatever link they open; the doctor's link, and the
    patient in the call reopening its own, are not held back meanwhile."""
    env = {"HOCOVISIO_WAITING_ROOM_ARRIVALS": "20", "HOCOVISIO_WAITING_ROOM_MAX": "100"}
    with hocovisio(database_url, tmp_path, env) as server:
        async with Clinic([server]) as clinic:
            consultation = await clinic.consultation()
            patient = await clinic.device(consultation.link("patient"))

            async def arrivals(address: str) -> list[int]:
                transport = httpx.AsyncHTTPTransport(local_address=address)
                link, statuses = consultation.link("patient"), []
                async with httpx.AsyncClient(
                    base_url=server.base_url, transport=transport, verify=False
                ) as http:
                    for _ in range(5):
                        http.cookies.clear()
                        answer = await http.get(link)
                        statuses.append(answer.status_code)
                        if answer.status_code == 200:
                            session = answer.json()["session"]
                            link = f"/session/{consultation.token}/{session['token']}"
                        else:
                            assert answer.json() == {"msg": "the waiting room is full"}
                            assert int(answer.headers["Retry-After"]) >= 1
                return statuses

            answers = await asyncio.gather(*(arrivals(f"127.0.0.{n + 2}") for n in range(12)))
            statuses = [status for per_address in answers for status in per_address]
            assert len(statuses) == 60
            assert statuses.count(200) == 20, statuses
            assert set(statuses) == {200, 429}
            for _ in range(5):
                doctor = await clinic.device(consultation.link("medecin"))
                assert doctor.session["validate_fromadmin"] == 1
                reopened = await patient.http.get(consultation.link("patient"))
                assert reopened.status_code == 200
                assert reopened.json()["session"]["id"] == patient.id


async def test_a_socket_whose_session_is_gone_is_refused(clinic: Clinic):
    """The handshake of a replaced, refused or left session's credential is refused (401),
    over HTTP and on the socket alike."""
    consultation = await clinic.consultation()
    doctor = await clinic.device(consultation.link("medecin"))
    holder = await clinic.device(consultation.link("patient"))
    refused, left, newcomer = [await clinic.device(consultation.link("patient")) for _ in range(3)]
    auth = doctor.auth()
    assert (
        await doctor.http.post("/refuse", json={"sessionId": refused.id}, headers=auth)
    ).is_success
    assert (await left.http.post("/session/leave", headers=left.auth())).is_success
    assert (
        await doctor.http.post("/validate", json={"sessionId": newcomer.id}, headers=auth)
    ).is_success
    for device in (holder, refused, left):
        assert not await device.admitted()
        with pytest.raises(websockets.InvalidStatus) as refusal:
            socket: Socket = await open_socket(clinic.servers[0].ws_url, device.credential)
            await socket.close()
        assert refusal.value.response.status_code == 401
