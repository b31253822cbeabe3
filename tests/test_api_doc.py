"""docs/api.md names every HTTP route, every socket request and every event the service has."""

import re
from pathlib import Path

from app.config.settings import Settings
from app.server import create_app
from app.ws.contract import CLIENT_REQUESTS, NOTIFICATIONS, SERVER_REQUESTS

DOC = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
# Routes of the framework itself, not of the contract.
FRAMEWORK = {"static"}


def test_every_route_is_in_the_contract():
    app = create_app(Settings(database_url="postgresql://nobody@127.0.0.1/none"))
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FRAMEWORK:
            continue
        path = re.sub(r"<(?:[^:>]*:)?([^>]+)>", "<", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            pattern = re.escape(f"{method} ") + re.escape(path).replace("<", "<[^>]+>")
            if not re.search(pattern, DOC):
                missing.append(f"{method} {rule.rule}")
    assert missing == []


def test_every_socket_method_and_event_is_in_the_contract():
    names = [*CLIENT_REQUESTS, *NOTIFICATIONS, *SERVER_REQUESTS]
    assert [name for name in names if f"`{name}`" not in DOC] == []
