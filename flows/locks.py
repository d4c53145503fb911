"""One close per ward at a time, across every worker and machine that shares the Prefect server.

The lock is a Prefect global concurrency limit named ``close-<unit_code>`` with one slot, created on
first use. A second close of the same ward (the same month, or another month of a backfill) waits for
the slot instead of interleaving with the first. Loads are transactional and idempotent besides, so
even two closes run without a server (ephemeral mode) cannot half-load or duplicate a delivery.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

# A close of one ward-month takes seconds; a slot not renewed for this long belongs to a dead run.
LEASE_SECONDS = 600


def close_lock_name(unit_code: str) -> str:
    """The concurrency-limit name of a unit's closes (letters, digits, dashes)."""
    return "close-" + re.sub(r"[^a-z0-9-]", "-", unit_code.lower())


def ensure_limit(name: str, slots: int = 1) -> None:
    """Create the global concurrency limit `name` with `slots` slots if it does not exist."""
    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=slots))
            except ObjectAlreadyExists:  # another run created it a moment ago
                pass


@contextmanager
def close_lock(unit_code: str, timeout_seconds: float | None = 3600) -> Iterator[None]:
    """Hold the unit's close slot for the block; wait up to `timeout_seconds` for it."""
    name = close_lock_name(unit_code)
    ensure_limit(name)
    with concurrency(name, occupy=1, timeout_seconds=timeout_seconds, lease_duration=LEASE_SECONDS,
                     strict=True):
        yield
