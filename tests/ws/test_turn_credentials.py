"""The service's TURN credentials against Debian's coturn: accepted while fresh, refused
once expired or signed with another secret."""

import asyncio
import time

import pytest
from aioice import turn as aioice_turn
from aioice.stun import TransactionFailed

from app.config.settings import Settings
from app.services.ice_servers import ice_servers, turn_credential
from tests.turn_server import TurnServer


class _Quiet(asyncio.DatagramProtocol):
    pass


async def allocate(server: TurnServer, username: str, password: str) -> tuple[str, int]:
    """A relay allocation on ``server`` with these credentials: its relayed address."""
    transport, _ = await aioice_turn.create_turn_endpoint(
        _Quiet, ("127.0.0.1", server.port), username, password, lifetime=60
    )
    try:
        return transport.get_extra_info("sockname")
    finally:
        transport.close()


def settings_for(server: TurnServer, ttl: int = 600) -> Settings:
    return Settings(turn_urls=[server.url], turn_secret=server.secret, turn_credential_ttl=ttl)


async def test_the_services_credential_allocates_a_relay(turn: TurnServer):
    [entry] = ice_servers(settings_for(turn), session_id=42)
    assert entry["urls"] == [turn.url]
    expiry, user = entry["username"].split(":")
    assert user == "42" and int(expiry) > time.time() + 590
    relayed = await allocate(turn, entry["username"], entry["credential"])
    assert relayed[0] == "127.0.0.1"
    assert f"username=<{entry['username']}>" in turn.log()


async def test_an_expired_credential_is_refused(turn: TurnServer):
    username, password = turn_credential(turn.secret, "42", int(time.time()) - 5)
    with pytest.raises(TransactionFailed) as refused:
        await allocate(turn, username, password)
    assert refused.value.response.attributes["ERROR-CODE"][0] == 401


async def test_a_credential_of_another_secret_is_refused(turn: TurnServer):
    username, password = turn_credential("not-the-secret", "42", int(time.time()) + 600)
    with pytest.raises(TransactionFailed) as refused:
        await allocate(turn, username, password)
    assert refused.value.response.attributes["ERROR-CODE"][0] == 401


def test_no_turn_servers_without_settings():
    assert ice_servers(Settings(), session_id=42) == []
