"""Run the station watcher with a catalogue given as JSON; print its events as JSON lines."""

import asyncio
import json
import sys

from station.watcher import StationWatcher


async def main(catalogue: dict[str, str]) -> None:
    watcher = StationWatcher(lambda vendor, product: catalogue.get(f"{vendor}:{product}"))
    watcher.start()
    print(json.dumps({"ready": True}), flush=True)
    async for event in watcher.events():
        print(json.dumps({"action": event.action, **event.device.__dict__}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
