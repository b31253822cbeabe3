"""Fuzz every operation of the real server's ``/openapi.json`` with schemathesis.

Each generated request, valid and invalid ones alike, goes out three times: without a
credential, with a doctor's session credential and with the operator key. No answer may be a
5xx, invalid data must be refused, and every 4xx is JSON ``{msg}``; every answer's status must
be one the document lists for its operation, with the JSON body that status documents
(``app/schemas_responses.py``; no extra keys).

The server has a database of its own (the operator may delete the device catalogue) and no
rate limits (else 429s would hide the handlers); the examples are derandomized, the same
requests on every run. Schemathesis's own pytest integration needs pytest < 9, hence a
``given`` per operation here.
"""

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fresh_db import fresh_database
from tests.server import RunningServer, hocovisio

# Per operation (about 20) and mode; the whole runs in about 80 s on two cores.
EXAMPLES = 100

# Not the API: the web client's pages and files, the API's own description.
NOT_FUZZED = "^/(docs|assets/|join/|openapi.json|$)"

CHECKS = [not_a_server_error, negative_data_rejection, response_schema_conformance]
ANSWER_CHECKS = [status_code_conformance, content_type_conformance]


def checks_for(operation: APIOperation) -> list[schemathesis.checks.CheckFunction]:
    """All the checks; but an operation whose success is not JSON (a document's file,
    Prometheus text) documents only its refusals, so its statuses and types are not checked."""
    success = any(code.startswith("2") for code in operation.responses.status_codes)
    return CHECKS + ANSWER_CHECKS if success else CHECKS


@pytest.fixture(scope="module")
def fuzz_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    env = {"HOCOVISIO_RATE_LIMIT_ENABLED": "false"}
    with (
        fresh_database(database_url) as url,
        hocovisio(url, tmp_path_factory.mktemp("fuzz"), extra_env=env) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def credentials(fuzz_server: RunningServer) -> list[dict[str, str]]:
    """The headers of the three callers: nobody, a doctor and the clinic's backend."""
    operator = {"Authorization": f"Bearer {fuzz_server.operator_key}"}
    with httpx.Client(base_url=fuzz_server.base_url, timeout=10) as http:
        created = http.post("/onetoone", headers=operator).json()
        doctor = next(s for s in created["sessions"] if s["role"] == "medecin")
        opened = http.get(f"/session/{created['onetoone']['token']}/{doctor['token']}")
    doctor_credential = opened.json()["session"]["credential"]
    return [{}, {"Authorization": f"Bearer {doctor_credential}"}, operator]


def check(
    case: schemathesis.Case,
    credentials: list[dict[str, str]],
    checks: list[schemathesis.checks.CheckFunction],
) -> None:
    """Schemathesis's checks (its failures say how to reproduce them), then ``{msg}``."""
    for headers in credentials:
        response = case.call_and_validate(headers=headers, checks=checks, timeout=10)
        if 400 <= response.status_code < 500:
            body = response.json()
            reproduce = case.as_curl_command(headers)
            assert list(body) == ["msg"] and isinstance(body["msg"], str), reproduce


@pytest.mark.parametrize("mode", list(GenerationMode))
def test_no_input_gets_a_server_error(
    fuzz_server: RunningServer, credentials: list[dict[str, str]], mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(fuzz_server.base_url + "/openapi.json")
    failures = []
    for result in schema.exclude(path_regex=NOT_FUZZED).get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            check(case, credentials, checks_for(case.operation))

        try:
            fuzz()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label  # nothing there to get wrong
        except (AssertionError, FailureGroup) as error:
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in fuzz_server.log()
