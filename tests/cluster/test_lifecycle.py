"""A participant's life across two instances: the doctor's admissions on one, the raced socket
on the other (or the admissions split between them)."""

import asyncio
from collections.abc import Callable

import psycopg

from tests.lifecycle import Clinic, ReplaceRace, admissions_at_once, replace_against_connect
from tests.server import RunningServer

SETTINGS = {
    "HOCOVISIO_RATE_LIMIT_ENABLED": "false",
    "HOCOVISIO_WAITING_ROOM_MAX": "25",
    "HOCOVISIO_WAITING_ROOM_ARRIVALS": "10000",
}
CHAINS, TRIES_PER_CHAIN = 4, 100


async def test_a_replaced_device_keeps_no_socket_on_the_other_instance(
    more_instances: Callable[..., list[RunningServer]],
):
    """400 tries each, clear and encrypted: the doctor admits a new device on instance A
    while the old device's socket connects to instance B 0-20 ms later."""
    servers = more_instances(2, **SETTINGS)
    async with (
        Clinic(servers) as clinic,
        await psycopg.AsyncConnection.connect(servers[0].database_url, autocommit=True) as db,
    ):
        for e2ee in (False, True):
            race = ReplaceRace()
            await asyncio.gather(
                *(
                    replace_against_connect(clinic, db, TRIES_PER_CHAIN, e2ee, race)
                    for _ in range(CHAINS)
                )
            )
            assert race.tries == CHAINS * TRIES_PER_CHAIN
            assert (race.left_open, race.served_after, race.keys_handed) == ([], [], [])
            print(f"across instances ({'encrypted' if e2ee else 'clear'}): {race}")


async def test_admissions_split_between_instances_leave_one_device_in(
    more_instances: Callable[..., list[RunningServer]],
):
    servers = more_instances(2, **SETTINGS)
    async with Clinic(servers) as clinic:
        for _ in range(12):
            working = await admissions_at_once(clinic, 2, on=[0, 1])
            assert working.count(True) == 1, working
        working = await admissions_at_once(clinic, 20, on=[0, 1])
        assert working.count(True) == 1, working
