"""The broker on its own: no server, no database."""

import asyncio

from app.realtime.broker import Audience, Broker, Event

HELLO = Event("hello", {})


def test_audiences_pick_their_sockets():
    broker = Broker()
    doctor = broker.subscribe(1, session_id=10, role="medecin", pending=False)
    patient = broker.subscribe(1, session_id=11, role="patient", pending=False)
    waiting = broker.subscribe(1, session_id=12, role="patient", pending=True)
    elsewhere = broker.subscribe(2, session_id=20, role="medecin", pending=False)

    assert broker.publish(1, HELLO, Audience.everyone_but(11)) == 1
    assert broker.publish(1, HELLO, Audience.role("medecin")) == 1
    assert broker.publish(1, HELLO, Audience.sessions(12)) == 1
    assert broker.publish(1, HELLO) == 2
    assert [s.backlog for s in (doctor, patient, waiting, elsewhere)] == [3, 1, 1, 0]
    assert broker.online_sessions(1) == {10: "medecin", 11: "patient"}


async def test_events_arrive_in_order_then_end_closes():
    broker = Broker()
    inbox = broker.subscribe(1, 10, "medecin", False)
    for n in range(3):
        broker.publish(1, Event("n", {"n": n}))
    broker.end(1, Event("consultationEnded", {}))
    received = []
    while (event := await asyncio.wait_for(inbox.next(), 1)) is not None:
        received.append(event.method)
    assert received == ["n", "n", "n", "consultationEnded"]
    assert broker.publish(1, HELLO) == 1  # still subscribed until the socket lets go...
    broker.unsubscribe(inbox)
    assert broker.publish(1, HELLO) == 0  # ...and gone after


async def test_a_reader_that_falls_behind_is_cut_off():
    broker = Broker()
    inbox = broker.subscribe(1, 10, "medecin", False)
    for _ in range(inbox.max_backlog + 1):
        broker.publish(1, HELLO)
    assert inbox.overflowed
    assert await asyncio.wait_for(inbox.next(), 1) is None


async def test_a_waiting_reader_wakes_on_publish():
    broker = Broker()
    inbox = broker.subscribe(1, 10, "medecin", False)
    waiter = asyncio.create_task(inbox.next())
    await asyncio.sleep(0)
    broker.publish(1, HELLO)
    assert await asyncio.wait_for(waiter, 1) == HELLO


async def test_turns_of_a_consultation_run_one_at_a_time_in_the_order_asked():
    broker = Broker()
    ran: list[str] = []

    async def turn(name: str, onetoone_id: int, pause: float) -> None:
        async with broker.in_order(onetoone_id):
            ran.append(f"{name} in")
            await asyncio.sleep(pause)
            ran.append(f"{name} out")

    await asyncio.gather(turn("a", 1, 0.05), turn("b", 1, 0), turn("c", 2, 0))
    # b waited for a; the other consultation's c did not.
    assert ran.index("b in") > ran.index("a out")
    assert ran.index("c out") < ran.index("a out")
    assert not broker._turns._locks  # nothing kept once every turn is over
