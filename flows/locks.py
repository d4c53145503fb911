"""One close per ward at a time, across every process, worker and machine that shares the warehouse.

The lock lives with the warehouse, not in Prefect (warehouse/locks.py): a PostgreSQL session advisory
lock on a connection of its own, or an OS file lock beside the SQLite file. Either is released by the
server or the kernel the moment its holder ends, ``kill -9`` included, so a killed close never leaves a
ward locked. A second close of the same ward (the same month, or another month of a backfill) waits,
logging every `NOTIFY_EVERY_S` seconds whom it waits for and since when, and fails after
`timeout_seconds` with a sentence naming the holder. Loads are transactional and idempotent besides.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from flows.settings import get_settings
from warehouse import locks as wh_locks

# A waiting close says so at once, then this often.
NOTIFY_EVERY_S = 30.0


def close_lock_name(unit_code: str) -> str:
    """The lock name of a unit's closes (lower-case letters, digits, dashes)."""
    return "close-" + re.sub(r"[^a-z0-9-]", "-", str(unit_code).lower())[:90]


def _logger() -> logging.Logger | logging.LoggerAdapter:
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)


def _flow_run_label() -> tuple[str | None, str | None]:
    """The current flow run's id and name, when there is one."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    run = getattr(context, "flow_run", None)
    if run is None:
        return None, None
    return str(run.id), f"{getattr(context.flow, 'name', '?')}/{run.name}"


def log_waiting(waiting: wh_locks.Waiting) -> None:
    """One Vietnamese and one English line while a close waits (WARNING: an operator should see it)."""
    vi, en = waiting.lines()
    _logger().warning("%s / %s", vi, en)


@contextmanager
def close_lock(unit_code: str, timeout_seconds: float | None = 3600,
               notify_every_s: float = NOTIFY_EVERY_S) -> Iterator[None]:
    """Hold the unit's close lock for the block; wait up to `timeout_seconds` for it (then `LockTimeout`)."""
    run_id, label = _flow_run_label()
    with wh_locks.hold(get_settings().warehouse_url, close_lock_name(unit_code), timeout_s=timeout_seconds,
                       notify_every_s=notify_every_s, on_wait=log_waiting,
                       record=wh_locks.holder_record(flow_run_id=run_id, label=label)):
        yield
