"""quart-schema's conversions go through one cached ``TypeAdapter`` per type."""

import quart_schema.conversion
from pydantic import TypeAdapter

from app.http import schema_adapters
from app.http.schemas import InfosRequest


class _Refused(Exception):
    pass


def test_quart_schema_builds_each_adapter_once():
    schema_adapters.install()
    schema_adapters.install()
    assert quart_schema.conversion.TypeAdapter is schema_adapters.cached_type_adapter
    schema_adapters.cached_type_adapter.cache_clear()
    for weight in range(5):
        answer = {"id": 1, "data": {"weight": weight}}
        assert quart_schema.conversion.model_dump(answer) == answer
        loaded = quart_schema.conversion.model_load(
            {"data": {"weight": weight}}, InfosRequest, _Refused
        )
        assert loaded == InfosRequest(data={"weight": weight})
    info = schema_adapters.cached_type_adapter.cache_info()
    assert (info.misses, info.hits) == (2, 8)
    assert isinstance(schema_adapters.cached_type_adapter(dict), TypeAdapter)


def test_a_cached_adapter_still_refuses():
    schema_adapters.install()
    for _ in range(2):
        try:
            quart_schema.conversion.model_load({"data": {}}, InfosRequest, _Refused)
        except _Refused:
            pass
        else:
            raise AssertionError("an empty form was accepted")
