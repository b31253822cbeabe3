"""Which instance's SFU carries a consultation's media: its home.

The first instance asked for a consultation's media becomes its home, recorded in
``media_home``; the others forward their sockets' media requests there
(``app.realtime.relay``). When the home is gone (its lease expired, or it stopped), the row
goes with it and the consultation's participants are told ``mediaReset``
(``hocovisio_instance_gone``): the next instance asked becomes the new home.

One router per consultation, wherever its participants' sockets are, keeps what a room does
across its peers in one place: the active speaker, the consumers' priorities and layers, the
limits; and no RTP travels between instances.
"""

from dataclasses import dataclass, field

from app.persistence.statements import Statements

# This instance, unless another already is; in the rare race where that other's row committed
# after this statement's snapshot, neither half returns a row and the caller asks again.
CLAIM = """WITH mine AS (
    INSERT INTO media_home (onetoone_id, instance_id) VALUES (%(onetoone_id)s, %(instance)s)
    ON CONFLICT (onetoone_id) DO NOTHING RETURNING instance_id
)
SELECT instance_id FROM mine
UNION ALL SELECT instance_id FROM media_home WHERE onetoone_id = %(onetoone_id)s"""

ATTEMPTS = 3


@dataclass
class MediaHomes:
    """The homes this instance knows, forgotten when one may have changed."""

    sql: Statements
    _known: dict[int, int] = field(default_factory=dict)

    async def home(self, onetoone_id: int, instance_id: int) -> int:
        known = self._known.get(onetoone_id)
        if known is not None:
            return known
        for _ in range(ATTEMPTS):
            rows = await self.sql.all(CLAIM, {"onetoone_id": onetoone_id, "instance": instance_id})
            if rows:
                self._known[onetoone_id] = rows[0].instance_id
                return rows[0].instance_id
        raise RuntimeError(f"no media home for consultation {onetoone_id}")

    def forget(self, onetoone_id: int) -> None:
        """Its media was reset or it ended: ask the database next time."""
        self._known.pop(onetoone_id, None)

    def instance_gone(self, instance_id: int) -> None:
        for onetoone_id, home in list(self._known.items()):
            if home == instance_id:
                del self._known[onetoone_id]
