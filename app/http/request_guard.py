"""Hostile HTTP input gets a 400 before any view runs, never a 500 from the database.

- JSON bodies: ``GuardedRequest.get_json`` parses them with ``input_guard.loads`` (quart-schema's
  ``validate_request`` reads the body through it), so a NUL, a lone surrogate, a non-finite
  number, an integer out of range, too deep a nesting or bytes that are not UTF-8 are a 400
  ``{msg}``, whatever the route's own error handlers do with a body that does not validate.
- URLs: a path or query argument with a NUL or a lone surrogate is a 400, before the view, for
  every route (the link route included: a 400 rather than its 401 "session not valid").
  Credentials, in a header or a cookie, only ever reach the database as a SHA-256.
- Ids in paths use the ``id`` converter: beyond 1..2^31-1 (PostgreSQL's integer) an id is a
  404, like an id that does not exist, and never reaches the database.
"""

from typing import Any

from quart import Quart, request, websocket
from quart.wrappers.base import BaseRequestWebsocket
from quart_schema import OpenAPIProvider
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter, IntegerConverter

from app.http.streaming import StreamingRequest
from app.input_guard import ID_MAX, InputRefused, check_text, loads


class GuardedRequest(StreamingRequest):
    async def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """Quart's ``get_json``, with ``input_guard.loads`` and a 400 that says what is wrong."""
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        if not (force or self.is_json):
            return None
        data = await self.get_data(cache=cache, as_text=False)
        try:
            result = loads(data)
        except InputRefused:
            if not silent:
                raise
            result = None
        if cache:
            self._cached_json[silent] = result
        return result


class IdConverter(IntegerConverter):
    """``<id:name>``: a database id, 1..2^31-1; any other number is a 404.

    Raised here rather than a non-match: werkzeug answers a non-match on a route that has other
    methods with 405, where an unknown id should be a 404 whatever the method.
    """

    regex = "[0-9]+"  # ASCII: "\\d" would take any script's digits

    def to_python(self, value: str) -> int:
        if len(value) > len(str(ID_MAX)) or not 1 <= int(value) <= ID_MAX:
            raise NotFound(f"not found: ids go from 1 to {ID_MAX}")
        return int(value)


class GuardedOpenAPIProvider(OpenAPIProvider):
    """Says in ``/openapi.json`` which path ids the routes accept."""

    def build_path_parameter(self, name: str, converter: BaseConverter) -> dict[str, Any]:
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, IdConverter):
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
        return parameter


def _check_url(connection: BaseRequestWebsocket) -> None:
    for value in (connection.view_args or {}).values():
        if isinstance(value, str):
            check_text(value, "the URL path")
    for key, value in connection.args.items(multi=True):
        check_text(key, "the query string")
        check_text(value, "the query string")


def install(app: Quart) -> None:
    """The ``id`` converter (before the routes that use it) and the URL checks.

    Install before the hooks that use the URL's arguments (the rate limits key link opens by
    them), with ``GuardedRequest`` as the app's request class and ``GuardedOpenAPIProvider``
    as its OpenAPI provider.
    """
    app.url_map.converters["id"] = IdConverter

    @app.before_request
    async def check_request() -> None:
        _check_url(request)

    @app.before_websocket
    async def check_websocket() -> None:
        _check_url(websocket)
