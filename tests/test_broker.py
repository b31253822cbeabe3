"""The broker on its own: no server, no database."""

import asyncio
import json

from app.realtime.broker import Audience, Broker, Event

HELLO = Event("hello", {})


def test_audiences_pick_their_sockets():
    broker = Broker()
    doctor = broker.subscribe(1, session_id=10, role="medecin", pending=False)
    patient = broker.subscribe(1, session_id=11, role="patient", pending=False)
    waiting = broker.subscribe(1, session_id=12, role="patient", pending=True)
    elsewhere = broker.subscribe(2, session_id=20, role="medecin", pending=False)

    assert broker.deliver(1, HELLO, Audience.everyone_but(11)) == 1
    assert broker.deliver(1, HELLO, Audience.role("medecin")) == 1
    assert broker.deliver(1, HELLO, Audience.sessions(12)) == 1
    assert broker.deliver(1, HELLO) == 2
    assert [s.backlog for s in (doctor, patient, waiting, elsewhere)] == [3, 1, 1, 0]


def test_audiences_cross_instances_as_json():
    for audience in (
        Audience(),
        Audience.everyone_but(11),
        Audience.role("medecin"),
        Audience.sessions(12, 10),
    ):
        assert Audience.from_json(json.loads(json.dumps(audience.to_json()))) == audience


def test_replace_and_close_all_close_the_sockets_here():
    broker = Broker()
    old = broker.subscribe(1, 10, "patient", False, socket_id=7)
    new = broker.subscribe(1, 10, "patient", False, socket_id=8)
    assert broker.replace(1, [7, 99]) == [old]  # 99 is on another instance
    assert old.replaced and old.closed and not new.closed
    assert broker.close_all() == 2
    assert new.resync


async def test_events_arrive_in_order_then_end_closes():
    broker = Broker()
    inbox = broker.subscribe(1, 10, "medecin", False)
    for n in range(3):
        broker.deliver(1, Event("n", {"n": n}))
    broker.end(1, Event("consultationEnded", {}))
    received = []
    while (event := await asyncio.wait_for(inbox.next(), 1)) is not None:
        received.append(event.method)
    assert received == ["n", "n", "n", "consultationEnded"]
    assert broker.deliver(1, HELLO) == 1  # still subscribed until the socket lets go...
    broker.unsubscribe(inbox)
    assert broker.deliver(1, HELLO) == 0  # ...and gone after


async def test_a_reader_that_falls_behind_is_cut_off():
    broker = Broker()
    inbox = broker.subscribe(1, 10, "medecin", False)
    for _ in range(inbox.max_backlog + 1):
        broker.deliver(1, HELLO)
    assert inbox.overflowed
    assert await asyncio.wait_for(inbox.next(), 1) is None


async def test_a_waiting_reader_wakes_on_publish():
    broker = Broker()
    inbox = broker.subscribe(1, 10, "medecin", False)
    waiter = asyncio.create_task(inbox.next())
    await asyncio.sleep(0)
    broker.deliver(1, HELLO)
    assert await asyncio.wait_for(waiter, 1) == HELLO
