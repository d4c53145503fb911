"""Generic HTTP plumbing for REST sources: one status -> error map, retries, secret-free descriptions.

`classify_failure` is the ONE place that decides what a failed call means (style.md principle 7):
429, 5xx, timeouts, connection errors and answers cut mid-body are `RetriableSourceError` (with the
server's `Retry-After`); 401/403 (credentials), 404 (wrong endpoint or unit) and every other 4xx are `FatalSourceError`.
`JsonGetter` makes GET calls with a timeout on every call and a small bounded retry with exponential
backoff for the retriable class; what is left after its last attempt propagates, so the orchestrator
can retry the whole task later. Messages name the URL path and a query string with secrets removed;
tokens travel only in headers and never reach a message.

An answer is streamed and decompressed chunk by chunk with a cap on its decoded size (`max_body_bytes`,
settings THIDUA_HTTP_MAX_ANSWER_MB): a 1 MiB gzip answer that would inflate to gigabytes is refused once
the cap is passed, with at most the cap held in memory. That refusal is final (`AnswerTooLargeError`, a
`SchemaDriftError`): the same server would send the same answer again.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from connectors.errors import ConnectorError, FatalSourceError, RetriableSourceError, SchemaDriftError

#: The default cap on one answer's size once decompressed (settings THIDUA_HTTP_MAX_ANSWER_MB).
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
_CHUNK_BYTES = 1 << 16


class AnswerTooLargeError(SchemaDriftError):
    """An answer larger than the client's cap once decompressed (a decompression bomb, or a page far larger
    than any page of the contract): refused without reading further."""


def _size_text(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB" if n >= 1024 * 1024 else f"{n} bytes"


_SECRET_NAME = re.compile(r"token|key|secret|pass|sig|auth|credential", re.IGNORECASE)


def public_params(params: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """Query parameters without anything that looks like a secret (token, api_key, signature …)."""
    return [(k, str(v)) for k, v in (params or {}).items() if not _SECRET_NAME.search(k)]


def describe_request(path: str, params: Mapping[str, object] | None = None) -> str:
    """`api:<path>?<query without secrets>`, the lineage and message form of an HTTP call."""
    query = "&".join(f"{k}={v}" for k, v in public_params(params))
    return f"api:{path}?{query}" if query else f"api:{path}"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date); None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def classify_failure(
    *,
    where: str,
    status_code: int | None = None,
    headers: Mapping[str, str] | None = None,
    exception: BaseException | None = None,
) -> ConnectorError | None:
    """The error a failed call stands for, or None for a success (2xx). The one status -> error map.

    Args:
        where: a secret-free description of the call (see `describe_request`).
        status_code: the HTTP status, when a response arrived.
        headers: the response headers (for `Retry-After`).
        exception: the transport exception, when no response arrived.
    """
    if exception is not None:
        if isinstance(exception, requests.Timeout):
            return RetriableSourceError(f"{where}: the server did not answer in time")
        if isinstance(exception, (requests.exceptions.ChunkedEncodingError,
                                  requests.exceptions.ContentDecodingError)):
            # the answer started, then the connection was cut (reset, proxy dropped it): transient
            return RetriableSourceError(f"{where}: the connection was cut in the middle of the answer")
        if isinstance(exception, requests.ConnectionError):
            return RetriableSourceError(f"{where}: could not connect ({type(exception).__name__})")
        if isinstance(exception, requests.RequestException):
            return FatalSourceError(f"{where}: the request could not be made ({type(exception).__name__})")
        return FatalSourceError(f"{where}: {type(exception).__name__}")
    if status_code is None or 200 <= status_code < 300:
        return None
    retry_after = parse_retry_after((headers or {}).get("Retry-After"))
    if status_code == 429:
        return RetriableSourceError(f"{where}: HTTP 429 too many requests", retry_after=retry_after,
                                    status_code=status_code)
    if 500 <= status_code < 600:
        return RetriableSourceError(f"{where}: HTTP {status_code} server error", retry_after=retry_after,
                                    status_code=status_code)
    if status_code in (401, 403):
        return FatalSourceError(f"{where}: HTTP {status_code}, the server refused the credentials "
                                f"(check the token setting; it is not shown here)", status_code=status_code)
    if status_code == 404:
        # a permanent answer: the endpoint or the unit does not exist. An empty month is a 200 with
        # tong_so 0, never a 404, so a 404 is not read as "no data".
        return FatalSourceError(f"{where}: HTTP 404 not found (wrong base URL or unit code?)",
                                status_code=status_code)
    if status_code == 408:
        return RetriableSourceError(f"{where}: HTTP 408 request timeout", retry_after=retry_after,
                                    status_code=status_code)
    return FatalSourceError(f"{where}: HTTP {status_code}", status_code=status_code)


class JsonGetter:
    """GET JSON with a timeout on every call and a bounded retry with backoff for retriable failures.

    Args:
        base_url: scheme://host[:port][/prefix]; a query string on it is dropped from messages.
        headers: sent with every call (e.g. the Authorization header; never logged or shown).
        timeout: seconds, or (connect, read) seconds, for every call.
        max_attempts: calls per request at most (1 = no retry here).
        backoff_seconds: first wait; doubles each attempt, or the server's Retry-After when given.
        max_wait_seconds: a Retry-After longer than this is not waited for here: the error propagates.
        max_body_bytes: the largest answer read, counted after decompression (gzip/deflate); a larger one
            raises `AnswerTooLargeError` once the cap is passed, with no more than the cap in memory.
        session: a `requests.Session` to reuse (tests inject one); `sleep` is injectable for tests.
    """

    def __init__(self, base_url: str, *, headers: Mapping[str, str] | None = None,
                 timeout: float | tuple[float, float] = (5.0, 30.0), max_attempts: int = 4,
                 backoff_seconds: float = 1.0, max_wait_seconds: float = 60.0,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep):
        parts = urlsplit(base_url)
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self.base_path = parts.path.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.max_attempts = max(1, int(max_attempts))
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self.max_body_bytes = max(1, int(max_body_bytes))
        self.session = session or requests.Session()
        self.sleep = sleep

    def describe(self, path: str, params: Mapping[str, object] | None = None) -> str:
        return describe_request(self.base_path + path, params)

    def _body(self, response, where: str) -> bytes:
        """The answer's body, decompressed as it streams in, refused past `max_body_bytes`."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
            size += len(chunk)
            if size > self.max_body_bytes:
                encoding = (response.headers or {}).get("Content-Encoding") or "not compressed"
                wire = (response.headers or {}).get("Content-Length")
                sent = f", {wire} bytes on the wire" if wire else ""
                raise AnswerTooLargeError(
                    f"{where}: the answer is larger than {_size_text(self.max_body_bytes)} once decompressed "
                    f"(Content-Encoding: {encoding}{sent}); refused after reading {_size_text(size)}, the rest "
                    f"unread (a decompression bomb, or a page far larger than the contract's; the cap is the "
                    f"setting THIDUA_HTTP_MAX_ANSWER_MB)")
            chunks.append(chunk)
        return b"".join(chunks)

    def get_json(self, path: str, params: Mapping[str, object] | None = None) -> object:
        """The decoded JSON body of `GET base_url+path?params`; raises a `ConnectorError` subclass.

        The body is streamed and decompressed with a cap (`max_body_bytes`): a larger answer raises
        `AnswerTooLargeError` (final, not retried). A connection cut while the body streams in is retriable.
        """
        where = self.describe(path, params)
        attempt = 0
        while True:
            attempt += 1
            error = None
            try:
                response = self.session.get(self.base_url + path, params=params, headers=self.headers,
                                            timeout=self.timeout, stream=True)
            except requests.RequestException as exc:
                error = classify_failure(where=where, exception=exc)
            else:
                try:
                    error = classify_failure(where=where, status_code=response.status_code,
                                             headers=response.headers)
                    if error is None:
                        try:
                            body = self._body(response, where)
                        except requests.RequestException as exc:  # cut, reset or timed out mid-body
                            error = classify_failure(where=where, exception=exc)
                        else:
                            try:
                                return json.loads(body)
                            except ValueError:
                                # a truncated body is usually transient (connection cut mid-transfer)
                                error = RetriableSourceError(f"{where}: the response is not valid JSON")
                finally:
                    close = getattr(response, "close", None)
                    if close is not None:
                        close()
            if not isinstance(error, RetriableSourceError) or attempt >= self.max_attempts:
                raise error from None
            wait = error.retry_after if error.retry_after is not None else (
                self.backoff_seconds * 2 ** (attempt - 1))
            if wait > self.max_wait_seconds:
                raise error from None
            self.sleep(wait)
