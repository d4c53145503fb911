"""Status -> error mapping (one function), Retry-After, bounded retries; no secrets in messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests

from connectors.errors import FatalSourceError, RetriableSourceError
from connectors.rest import JsonGetter, classify_failure, describe_request, parse_retry_after

WHERE = "api:/api/v1/ho-so?ma_don_vi=10549"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (200, None), (204, None),
        (429, RetriableSourceError), (500, RetriableSourceError), (502, RetriableSourceError),
        (503, RetriableSourceError), (504, RetriableSourceError), (408, RetriableSourceError),
        (401, FatalSourceError), (403, FatalSourceError), (404, FatalSourceError),
        (400, FatalSourceError), (422, FatalSourceError),
    ],
)
def test_status_mapping(status, kind):
    error = classify_failure(where=WHERE, status_code=status, headers={})
    if kind is None:
        assert error is None
    else:
        assert type(error) is kind
        assert error.status_code == status
        assert str(status) in str(error) and str(error).startswith(WHERE)


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        (requests.ConnectTimeout("x"), RetriableSourceError),
        (requests.ReadTimeout("x"), RetriableSourceError),
        (requests.ConnectionError("reset"), RetriableSourceError),
        (requests.TooManyRedirects("x"), FatalSourceError),
    ],
)
def test_transport_errors(exception, kind):
    assert type(classify_failure(where=WHERE, exception=exception)) is kind


def test_retry_after_is_carried():
    error = classify_failure(where=WHERE, status_code=429, headers={"Retry-After": "7"})
    assert error.retry_after == 7.0
    assert classify_failure(where=WHERE, status_code=503, headers={}).retry_after is None


def test_parse_retry_after_http_date():
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_describe_request_drops_secret_parameters():
    text = describe_request("/api", {"ma_don_vi": "10549", "token": "s3cr3t", "api_key": "k", "trang": 1})
    assert text == "api:/api?ma_don_vi=10549&trang=1"


class FakeResponse:
    def __init__(self, status, body=None, headers=None):
        self.status_code = status
        self._body = body
        self.headers = headers or {}

    def json(self):
        if isinstance(self._body, Exception):
            raise self._body
        return self._body

    def iter_content(self, chunk_size=1):
        """The body as the client streams it: JSON bytes (an exception body stands for a truncated answer)."""
        if isinstance(self._body, Exception):
            data = b'{"truncated'
        elif isinstance(self._body, bytes):
            data = self._body
        else:
            data = json.dumps(self._body, ensure_ascii=False).encode("utf-8")
        for i in range(0, len(data), chunk_size):
            yield data[i:i + chunk_size]


class FakeSession:
    """Answers queued responses (or raises queued exceptions) and records the calls."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def get(self, url, params=None, headers=None, timeout=None, stream=False):
        self.calls.append({"url": url, "params": dict(params or {}), "headers": dict(headers or {}),
                           "timeout": timeout, "stream": stream})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _getter(session, sleeps, **kw):
    return JsonGetter("http://h:1/base?api_key=zzz", headers={"Authorization": "Bearer SECRET"},
                      session=session, sleep=sleeps.append, timeout=(1, 2), **kw)


def test_retries_retriable_then_succeeds_honouring_retry_after():
    session = FakeSession([FakeResponse(429, headers={"Retry-After": "3"}), FakeResponse(503),
                           requests.ConnectionError("reset"), FakeResponse(200, {"ok": 1})])
    sleeps = []
    assert _getter(session, sleeps, backoff_seconds=0.5).get_json("/x", {"a": 1}) == {"ok": 1}
    assert sleeps == [3.0, 1.0, 2.0]  # Retry-After, then backoff 0.5 * 2**1, 0.5 * 2**2
    assert all(c["timeout"] == (1, 2) for c in session.calls)
    assert session.calls[0]["url"] == "http://h:1/base/x"


def test_gives_up_after_max_attempts_with_retriable_error():
    session = FakeSession([FakeResponse(500)] * 3)
    sleeps = []
    with pytest.raises(RetriableSourceError):
        _getter(session, sleeps, max_attempts=3).get_json("/x")
    assert len(session.calls) == 3 and len(sleeps) == 2


def test_fatal_is_not_retried_and_message_has_no_secret():
    session = FakeSession([FakeResponse(401)])
    with pytest.raises(FatalSourceError) as info:
        _getter(session, []).get_json("/x", {"ma_don_vi": "10549", "token": "SECRET"})
    assert len(session.calls) == 1
    message = str(info.value)
    assert "SECRET" not in message and "zzz" not in message and "401" in message
    assert "token=" not in message


def test_a_long_retry_after_is_left_to_the_orchestrator():
    session = FakeSession([FakeResponse(429, headers={"Retry-After": "3600"})])
    sleeps = []
    with pytest.raises(RetriableSourceError) as info:
        _getter(session, sleeps, max_wait_seconds=60).get_json("/x")
    assert sleeps == [] and info.value.retry_after == 3600.0


def test_invalid_json_is_retried():
    session = FakeSession([FakeResponse(200, ValueError("truncated")), FakeResponse(200, [1])])
    assert _getter(session, []).get_json("/x") == [1]
