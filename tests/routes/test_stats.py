from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import httpx
import psycopg
import pytest

from app.services.stats import EVENTS
from tests.client import Consultation, Participant
from tests.server import RunningServer


def operator(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.operator_key}"}


async def test_stats_count_the_events_performed_per_event_and_per_day(
    server: RunningServer,
    http: httpx.AsyncClient,
    consultation: Consultation,
    participant: Callable[[], Participant],
):
    today = datetime.now(UTC).date().isoformat()
    query = {"from": today, "to": today}
    before = (await http.get("/stats", params=query, headers=operator(server))).json()

    doctor, patient, intruder = participant(), participant(), participant()
    await doctor.open(consultation.link("medecin"))  # opened
    await patient.open(consultation.link("patient"))  # first_use
    await patient.open(consultation.link("patient"))  # reopened
    await intruder.open(consultation.link("patient"))  # pending
    await doctor.http.post("/validate", json={"sessionId": intruder.session["id"]})  # validated
    stranger = participant()
    await stranger.open(consultation.link("guest"))  # first_use
    await stranger.open(consultation.link("patient"))  # pending
    await doctor.http.post("/refuse", json={"sessionId": stranger.session["id"]})  # refused
    await http.delete(f"/onetoone/{consultation.token}", headers=operator(server))  # killed

    response = await http.get("/stats", params=query, headers=operator(server))
    assert response.status_code == 200
    after = response.json()
    assert after["from"] == after["to"] == today
    assert set(after["events"]) == EVENTS
    performed = {"opened": 1, "first_use": 2, "reopened": 1, "pending": 2, "validated": 1}
    performed |= {"refused": 1, "killed": 1}
    for event in EVENTS:
        expected = before["events"][event] + performed.get(event, 0)
        assert after["events"][event] == expected, event
    days = {(d["day"], d["event"]): d["count"] for d in after["days"]}
    assert all(day == today for day, _ in days)
    assert {event: days.get((today, event), 0) for event in EVENTS} == after["events"]


async def test_stats_group_by_day_over_the_range(
    server: RunningServer, http: httpx.AsyncClient, db: psycopg.Connection
):
    db.execute(
        "INSERT INTO stats (event, onetoone_id, created_at) VALUES"
        " ('deleted', 1, '2001-02-03 23:59:59+00'), ('deleted', 2, '2001-02-03 00:00:00+00'),"
        " ('killed', 2, '2001-02-05 12:00:00+00'), ('killed', 3, '2001-02-06 00:00:00+00'),"
        " ('created', 3, '2001-02-02 23:59:59+00')"
    )
    response = await http.get(
        "/stats", params={"from": "2001-02-03", "to": "2001-02-05"}, headers=operator(server)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["days"] == [
        {"day": "2001-02-03", "event": "deleted", "count": 2},
        {"day": "2001-02-05", "event": "killed", "count": 1},
    ]
    assert {e: n for e, n in body["events"].items() if n} == {"deleted": 2, "killed": 1}


async def test_stats_default_to_the_last_30_days(server: RunningServer, http: httpx.AsyncClient):
    body = (await http.get("/stats", headers=operator(server))).json()
    today = datetime.now(UTC).date()
    assert body["to"] == today.isoformat()
    assert body["from"] == (today - timedelta(days=29)).isoformat()
    only_to = await http.get("/stats", params={"to": "2020-03-31"}, headers=operator(server))
    assert only_to.json()["from"] == "2020-03-02"


async def test_stats_need_the_operator_key(http: httpx.AsyncClient, consultation: Consultation):
    for headers, msg in (
        ({}, "operator key required"),
        ({"Authorization": "Bearer wrong"}, "operator key not valid"),
    ):
        response = await http.get("/stats", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"msg": msg}


@pytest.mark.parametrize(
    "query",
    [
        {"from": "yesterday"},
        {"to": "2026-02-30"},
        {"from": "20260101"},
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "2026-03-02", "to": "2026-03-01"},
    ],
)
async def test_stats_refuse_bad_dates(server: RunningServer, http: httpx.AsyncClient, query):
    response = await http.get("/stats", params=query, headers=operator(server))
    assert response.status_code == 400
    assert response.json()["msg"]


def test_default_range_is_30_days_with_today():
    from app.services.stats import default_range

    assert default_range(date(2026, 3, 30)) == (date(2026, 3, 1), date(2026, 3, 30))
