"""The limits that guard secrets hold across instances: three instances do not triple a
guesser's rate."""

import asyncio

import httpx

PER_MINUTE = 10  # with the default burst of one minute: 10 at once, then one every 6 s


async def test_guessing_links_through_three_instances_is_no_faster(more_instances):
    instances = more_instances(
        3, HOCOVISIO_RATE_LIMIT_SESSION_OPEN=str(PER_MINUTE), HOCOVISIO_RATE_LIMIT_VALIDATE="10"
    )
    clients = [httpx.AsyncClient(base_url=i.base_url) for i in instances]
    try:
        # One guessed link, tried through each instance in turn, at once.
        answers = await asyncio.gather(
            *(clients[n % 3].get("/session/not-a/real-link") for n in range(3 * PER_MINUTE))
        )
        statuses = [a.status_code for a in answers]
        assert set(statuses) == {401, 429}
        # Each instance alone would let PER_MINUTE through: together they let no more.
        assert statuses.count(401) <= PER_MINUTE + 1
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.json() == {"msg": "rate limited, try again later"}
        assert int(refused.headers["Retry-After"]) >= 1

        # Validations, counted per credential, are shared too.
        headers = {"Authorization": "Bearer not-a-credential"}
        tries = await asyncio.gather(
            *(
                clients[n % 3].post("/validate", json={"sessionId": 1}, headers=headers)
                for n in range(30)
            )
        )
        assert [t.status_code for t in tries].count(429) >= 30 - 10 - 1
    finally:
        for client in clients:
            await client.aclose()
