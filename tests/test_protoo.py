"""The protoo peer core over an in-memory transport: no server, only the protocol."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import protoo


class Pipe:
    """One end of an in-memory text transport; ``close`` ends the other end's reading."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[str | None] = asyncio.Queue()
        self.other: Pipe | None = None

    async def send(self, message: str) -> None:
        assert self.other is not None
        self.other.incoming.put_nowait(message)

    async def __aiter__(self) -> AsyncIterator[str]:
        while (text := await self.incoming.get()) is not None:
            yield text

    async def close(self) -> None:
        self.incoming.put_nowait(None)
        assert self.other is not None
        self.other.incoming.put_nowait(None)


def pipe() -> tuple[Pipe, Pipe]:
    left, right = Pipe(), Pipe()
    left.other, right.other = right, left
    return left, right


async def echo(method: str, data: dict[str, Any]) -> Any:
    if method == "refuse":
        raise ValueError("not today")
    return {"method": method, **data}


async def test_requests_both_ways_and_notifications():
    left, right = pipe()
    notified: list[protoo.Notification] = []
    client = protoo.Connection(left, on_notification=notified.append, on_request=echo)
    server = protoo.Connection(right, on_request=echo)
    assert await client.request("hello", {"a": 1}) == {"method": "hello", "a": 1}
    assert await server.request("newConsumer", {"id": "c"}) == {"method": "newConsumer", "id": "c"}
    with pytest.raises(protoo.Refused, match="not today"):
        await client.request("refuse")
    refused = await client.exchange("refuse")
    assert (refused.ok, refused.error_reason) == (False, "not today")
    await server.notify("peerJoined", {"peerId": 1})
    await asyncio.sleep(0)
    assert notified == [protoo.Notification("peerJoined", {"peerId": 1})]
    await client.close()
    assert await server.close() is None


async def test_a_request_nobody_answers_times_out():
    left, _right = pipe()  # nobody reads the other end
    client = protoo.Connection(left)
    with pytest.raises(protoo.NoAnswer, match="getPeers: no answer") as late:
        await client.request("getPeers", timeout=0.05)
    assert isinstance(late.value, TimeoutError)  # as the load generator classifies it
    await client.close()


async def test_a_server_request_without_handler_is_refused():
    left, right = pipe()
    client = protoo.Connection(left)
    server = protoo.Connection(right)
    with pytest.raises(protoo.Refused, match="newConsumer is not handled here"):
        await server.request("newConsumer")
    await client.close()
    await server.close()


async def test_closing_fails_the_pending_requests_and_errors_reach_on_error():
    left, right = pipe()
    errors: list[protoo.Response] = []
    client = protoo.Connection(left, on_error=errors.append)
    waiting = asyncio.create_task(client.request("getPeers"))
    await asyncio.sleep(0)
    await right.send(protoo.failure(None, "frame is not a JSON object"))
    await asyncio.sleep(0)
    assert errors == [protoo.Response(None, False, None, "frame is not a JSON object")]
    await right.close()
    with pytest.raises(protoo.ConnectionLost):
        await waiting
    assert client.is_closed


async def test_a_frame_that_is_not_protoo_ends_the_reading():
    left, right = pipe()
    client = protoo.Connection(left)
    await right.send(json.dumps([1, 2]))
    with pytest.raises(protoo.FrameError, match="not a JSON object"):
        await client.closed()
    assert isinstance(await client.close(), protoo.FrameError)


class Strict:
    """A guard that refuses every number, standing in for the server's."""

    def parse(self, data: str | bytes) -> Any:
        return json.loads(data)

    def check(self, value: Any, where: str, text: str | None = None) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                self.check(item, f"{where}.{key}")
        elif isinstance(value, float):
            raise ValueError(f"{where}: no floats")


def test_parse_checks_the_frame_with_the_guard():
    frame = '{"request": true, "id": 3, "method": "m", "data": {"x": 1.5}}'
    with pytest.raises(protoo.FrameError, match=r"frame.data.x: no floats") as refused:
        protoo.parse(frame, Strict())
    assert refused.value.request_id == 3  # the error answers that request
    parsed = protoo.parse('{"request": true, "id": 3, "method": "m"}', Strict())
    assert parsed == protoo.Request(3, "m", {})
