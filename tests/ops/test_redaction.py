"""Every log line is redacted, whichever of the patterns it needs (the cheap pre-test of each
pattern must never skip one that matches)."""

import pytest

from app.config.logging_setup import new_request_id, redact


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        (
            '127.0.0.1:5 - - "GET /session/OT123/ST456 1.1" 200',
            '127.0.0.1:5 - - "GET /session/***/*** 1.1" 200',
        ),
        ("DELETE /onetoone/OT123 1.1", "DELETE /onetoone/*** 1.1"),
        # The page's link, in the path and in the Referer of the requests it makes.
        (
            '"GET /join/OT123/ST456 1.1" 200 "https://v.example/join/OT123/ST456" "Chrome"',
            '"GET /join/***/*** 1.1" 200 "https://v.example/join/***/***" "Chrome"',
        ),
        # A link cut short still hides what it has; the routes under /session/ are kept.
        ("GET /session/OT123 1.1", "GET /session/*** 1.1"),
        ("GET /session/OT123/ 1.1", "GET /session/***/ 1.1"),
        ("POST /session/infos 1.1", "POST /session/infos 1.1"),
        ("POST /session/leave 1.1", "POST /session/leave 1.1"),
        ("GET /messages?before=3&limit=2 1.1", "GET /messages?*** 1.1"),
        ("authorization: BeArEr c.r-e_d", "authorization: BeArEr ***"),
        ("cookie hocovisio_session=abc; other=1", "cookie hocovisio_session=***; other=1"),
        ("postgresql://user:secret@host/db", "postgresql://user:***@host/db"),
        (
            "GET /session/A/B?x=1 Bearer t postgresql://u:p@h",
            "GET /session/***/***?*** Bearer *** postgresql://u:***@h",
        ),
        ('"GET /healthz 1.1" 200 15 "-" "curl"', '"GET /healthz 1.1" 200 15 "-" "curl"'),
    ],
)
def test_redact(line: str, redacted: str):
    assert redact(line) == redacted


def test_request_ids():
    assert new_request_id("from-proxy.1") == "from-proxy.1"
    fresh = {new_request_id("bad id!") for _ in range(100)}
    assert len(fresh) == 100
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in fresh)
