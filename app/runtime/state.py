"""What the running service holds, in one typed object: ``app.extensions["hocovisio"]``.

Built once by ``app.server.create_app``; views and socket handlers reach it with ``state()``,
the lifespan (``app.runtime.lifespan``) starts and stops what in it needs starting.
"""

from dataclasses import dataclass

from quart import current_app
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.config.settings import Settings
from app.media.rooms import MediaRooms
from app.persistence.statements import Statements
from app.persistence.storage import Storage
from app.realtime.backbone import Backbone
from app.realtime.broker import Broker
from app.realtime.relay import Relay
from app.runtime.metrics import Metrics
from app.services.instances import Instance
from app.services.media_homes import MediaHomes
from app.services.rate_limits import RateLimits

EXTENSION = "hocovisio"


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    db: async_sessionmaker[AsyncSession]
    sql: Statements  # the hot paths' single statements, on the same pool
    broker: Broker
    backbone: Backbone  # the database's events, handed to the broker
    instance: Instance  # this process among the instances sharing the database
    homes: MediaHomes  # which instance carries each consultation's media
    relay: Relay  # media signalling with the other instances
    storage: Storage
    media: MediaRooms
    rate_limits: RateLimits
    metrics: Metrics


def state() -> AppState:
    return current_app.extensions[EXTENSION]
