"""What is plugged into each consultation's stations right now, in this process's memory.

Entries are the station's session's (``peer_id``), and owned by the socket that last
reported them: they are forgotten when the station reports the unplugging or that socket
closes (a session may have two sockets, and the newer one's reports outlive the older
one), and ignored as soon as the session has no open socket any more.
"""

from dataclasses import dataclass, field
from typing import Any

from app.realtime.peer import Peer


@dataclass(frozen=True)
class Connected:
    device: dict[str, Any]
    node: str | None
    peer_id: int
    owner: Peer | None = field(default=None, compare=False, repr=False)

    def public(self) -> dict[str, Any]:
        return {"device": self.device, "node": self.node, "peerId": self.peer_id}


class DeviceRegistry:
    def __init__(self) -> None:
        self._by_onetoone: dict[int, dict[tuple[int, int, str | None], Connected]] = {}

    def connect(self, onetoone_id: int, entry: Connected) -> bool:
        """Add ``entry``, owned by its socket; False when the same station already reported it."""
        entries = self._by_onetoone.setdefault(onetoone_id, {})
        key = (entry.peer_id, entry.device["id"], entry.node)
        known = key in entries
        entries[key] = entry
        return not known

    def reported(self, onetoone_id: int, peer_id: int, device_id: int) -> Connected | None:
        """The entry of device ``device_id`` as the session ``peer_id`` reported it, if it did."""
        entries = self._by_onetoone.get(onetoone_id, {})
        return next(
            (e for e in entries.values() if e.peer_id == peer_id and e.device["id"] == device_id),
            None,
        )

    def disconnect(
        self, onetoone_id: int, peer_id: int, device_id: int, node: str | None
    ) -> Connected | None:
        entries = self._by_onetoone.get(onetoone_id, {})
        entry = entries.pop((peer_id, device_id, node), None)
        if not entries:
            self._by_onetoone.pop(onetoone_id, None)
        return entry

    def drop_socket(self, onetoone_id: int, owner: Peer) -> list[Connected]:
        """Forget, and return, everything the socket ``owner`` had reported."""
        entries = self._by_onetoone.get(onetoone_id, {})
        gone = [entries.pop(key) for key in [k for k, e in entries.items() if e.owner is owner]]
        if not entries:
            self._by_onetoone.pop(onetoone_id, None)
        return gone

    def connected(self, onetoone_id: int, online: set[int]) -> list[Connected]:
        """The entries of stations still ``online``; the others are dropped."""
        entries = self._by_onetoone.get(onetoone_id, {})
        for key in [key for key, entry in entries.items() if entry.peer_id not in online]:
            del entries[key]
        if not entries:
            self._by_onetoone.pop(onetoone_id, None)
        return list(entries.values())
