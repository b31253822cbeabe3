"""What the running service holds: settings, database, broker, storage, SFU."""

from dataclasses import dataclass

from quart import current_app
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.broker import Broker
from app.media.rooms import MediaRooms
from app.settings import Settings
from app.storage import Storage


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    db: async_sessionmaker[AsyncSession]
    broker: Broker
    storage: Storage
    media: MediaRooms


def state() -> AppState:
    return current_app.extensions["hocovisio"]
