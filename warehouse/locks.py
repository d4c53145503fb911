"""Named locks that live with the warehouse and die with their holder.

A close of a ward takes the lock ``close-<unit>`` for its whole run (flows/locks.py). The lock is never a
row or a lease that a killed process could leave behind:

- **PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of its own. The
  server releases it the moment that connection ends: the process exits, is killed (``kill -9``), or its
  machine drops off the network (then when TCP notices; see docs/operations.md).
- **SQLite**: an OS file lock (``flock``) on ``<database>.locks/<name>.lock`` beside the database file. The
  kernel releases it when the process ends, however it ends.

While holding, the holder leaves a small record (pid, host, since, flow run id) where a waiting run can
read it: the lock file's content (SQLite), or the last statement of the holding connection as shown by
``pg_stat_activity`` (PostgreSQL). A waiting run reports whom it waits for and since when, and gives up
with `LockTimeout` after its timeout. Plain stdlib and SQLAlchemy; no Prefect.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from warehouse.db import PRIVATE_FILE_MODE, ensure_private_dir
from warehouse.errors import WarehouseError

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# The first key of every thidua advisory lock (classid in pg_locks): crc32 of "thidua", kept positive.
PG_NAMESPACE = zlib.crc32(b"thidua") & 0x7FFFFFFF
HOLDER_TAG = "thidua-lock-holder "
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


class LockTimeout(WarehouseError):
    """A lock stayed held by another run for longer than the caller would wait."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: the holding process and, when it said so, its flow run.

    ``backend_pid`` is the PostgreSQL server process of the holding connection (for
    ``pg_terminate_backend``); ``None`` on SQLite.
    """

    pid: int | None = None
    host: str | None = None
    since: datetime | None = None
    flow_run_id: str | None = None
    label: str | None = None
    backend_pid: int | None = None

    def describe(self) -> tuple[str, str]:
        """The holder in one Vietnamese and one English phrase."""
        if self.pid is None and self.backend_pid is None:
            return "một lượt chạy khác (chưa rõ tiến trình)", "another run (process not known yet)"
        if self.pid is not None:
            host = self.host or "?"
            vi, en = f"tiến trình {self.pid} trên máy {host}", f"process {self.pid} on host {host}"
        else:
            vi, en = "một lượt chạy khác", "another run"
        extra_vi = [x for x in (self.label, self.flow_run_id and f"lượt chạy {self.flow_run_id}",
                                self.backend_pid and f"kết nối PostgreSQL {self.backend_pid}") if x]
        extra_en = [x for x in (self.label, self.flow_run_id and f"flow run {self.flow_run_id}",
                                self.backend_pid and f"PostgreSQL connection {self.backend_pid}") if x]
        if extra_vi:
            vi += f" ({', '.join(extra_vi)})"
            en += f" ({', '.join(extra_en)})"
        if self.since is not None:
            local = self.since.astimezone(LOCAL_TZ)
            vi += f" từ {local:%H:%M:%S %d/%m/%Y}"
            en += f" since {local:%Y-%m-%d %H:%M:%S} (Asia/Ho_Chi_Minh)"
        return vi, en

    @classmethod
    def from_record(cls, record: dict, backend_pid: int | None = None) -> Holder:
        since = record.get("since")
        try:
            since_at = datetime.fromisoformat(since) if isinstance(since, str) else None
        except ValueError:
            since_at = None
        pid = record.get("pid")
        return cls(pid=pid if isinstance(pid, int) else None, host=_text(record.get("host")), since=since_at,
                   flow_run_id=_text(record.get("flow_run_id")), label=_text(record.get("label")),
                   backend_pid=backend_pid)


@dataclass(frozen=True)
class Waiting:
    """What a waiting run knows: the lock, its holder (None when not known), how long it has waited."""

    name: str
    holder: Holder | None
    waited_s: float

    def lines(self) -> tuple[str, str]:
        """One Vietnamese and one English sentence for the log."""
        vi, en = (self.holder or Holder()).describe()
        waited = round(self.waited_s)
        return (f"Đang chờ khóa '{self.name}': đang bị giữ bởi {vi}; đã chờ {waited} giây.",
                f"Waiting for lock '{self.name}': held by {en}; waited {waited} s.")


def _text(value) -> str | None:
    return str(value)[:200] if value not in (None, "") else None


def holder_record(flow_run_id: str | None = None, label: str | None = None) -> dict:
    """This process's holder record: pid, host, since (UTC, ISO), flow run id and a free label."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": datetime.now(UTC).isoformat(),
            "flow_run_id": flow_run_id, "label": label}


def check_name(name: str) -> str:
    """A lock name: lower-case letters, digits, ``-`` and ``_`` (it becomes a file name on SQLite)."""
    if not _NAME.match(name):
        raise WarehouseError(f"lock name {name!r} must be lower-case letters, digits, '-' or '_' (e.g. close-10549)")
    return name


@contextlib.contextmanager
def hold(url: str | sa.URL, name: str, *, timeout_s: float | None = 3600, notify_every_s: float = 30,
         poll_s: float = 0.5, record: dict | None = None,
         on_wait: Callable[[Waiting], None] | None = None) -> Iterator[None]:
    """Hold the lock `name` of the warehouse at `url` for the block.

    Args:
        timeout_s: give up after this many seconds of waiting (`LockTimeout`); None waits forever.
        notify_every_s: while waiting, call `on_wait` at once and then every this many seconds.
        poll_s: how often a waiting run tries again.
        record: the holder record left for waiting runs (default `holder_record()`).
        on_wait: called with a `Waiting` while the lock is held by another run.
    """
    lock = _lock_for(url, check_name(name))
    record = record or holder_record()
    started = time.monotonic()
    next_notice = started
    try:
        while not lock.try_acquire():
            now = time.monotonic()
            waited = now - started
            if timeout_s is not None and waited >= timeout_s:
                vi, en = (lock.read_holder() or Holder()).describe()
                raise LockTimeout(
                    f"Hết thời gian chờ khóa '{name}' sau {round(waited)} giây: vẫn bị giữ bởi {vi}. / "
                    f"Gave up waiting for lock '{name}' after {round(waited)} s: still held by {en}. "
                    f"A lock is released by itself when its holder ends; {lock.hint()}")
            if on_wait is not None and now >= next_notice:
                on_wait(Waiting(name, lock.read_holder(), waited))
                next_notice = now + notify_every_s
            time.sleep(poll_s)
        lock.write_holder(record)
        yield
    finally:
        lock.close()


def read_holder(url: str | sa.URL, name: str) -> Holder | None:
    """Who holds the lock `name` now, or None when it is free (the lock is tried, never kept)."""
    lock = _lock_for(url, check_name(name))
    try:
        if lock.try_acquire():
            return None
        return lock.read_holder() or Holder()
    finally:
        lock.close()


def lock_file_path(database: str | Path, name: str) -> Path:
    """Where the SQLite lock `name` of the database file lives: ``<database>.locks/<name>.lock``."""
    database = Path(database).expanduser()
    return database.with_name(database.name + ".locks") / f"{check_name(name)}.lock"


def _lock_for(url: str | sa.URL, name: str):
    url = sa.engine.make_url(url)
    if url.get_backend_name() == "postgresql":
        return _PgLock(url, name)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            return _FileLock(lock_file_path(database, name))
        return _LocalLock(name)  # an in-memory warehouse is never shared with another process
    raise WarehouseError(f"no lock for a {url.get_backend_name()} warehouse (SQLite or PostgreSQL only)")


class _FileLock:
    """``flock`` on a file beside the database; the file holds the holder record while locked."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None
        self.held = False

    def _open(self) -> int:
        if self.fd is None:
            ensure_private_dir(self.path.parent)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
        return self.fd

    def try_acquire(self) -> bool:
        try:
            fcntl.flock(self._open(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.held = True
        return True

    def write_holder(self, record: dict) -> None:
        data = json.dumps(record, ensure_ascii=False).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data, 0)

    def read_holder(self) -> Holder | None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                text = handle.read(4096)
            return Holder.from_record(json.loads(text)) if text.strip() else None
        except (OSError, ValueError, AttributeError):  # being written this instant, or not a record
            return None

    def hint(self) -> str:
        return f"look for the process above (ps -p <pid>); the lock file is {self.path}"

    def close(self) -> None:
        if self.fd is None:
            return
        try:
            if self.held:  # an old record must not name a holder that is gone
                os.ftruncate(self.fd, 0)
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)
            self.fd = None
            self.held = False


class _PgLock:
    """A session advisory lock ``(PG_NAMESPACE, crc32(name))`` on a connection of its own."""

    def __init__(self, url: sa.URL, name: str):
        self.url = url
        self.key = zlib.crc32(name.encode()) & 0x7FFFFFFF
        self.engine: sa.Engine | None = None
        self.conn: sa.Connection | None = None
        self.held = False

    def _connection(self) -> sa.Connection:
        if self.conn is None:
            self.engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
            self.conn = self.engine.connect()
            self.conn.exec_driver_sql("SET application_name = 'thidua lock'")
        return self.conn

    def try_acquire(self) -> bool:
        self.held = bool(self._connection().execute(
            sa.text("SELECT pg_try_advisory_lock(:namespace, :key)"),
            {"namespace": PG_NAMESPACE, "key": self.key}).scalar_one())
        return self.held

    def write_holder(self, record: dict) -> None:
        # The holding connection's last statement is what pg_stat_activity shows of it: the record, as a
        # literal with neither quote nor percent sign in it (both escaped as JSON \\u escapes).
        text = json.dumps(record, ensure_ascii=True).replace("'", "\\u0027").replace("%", "\\u0025")
        self.conn.exec_driver_sql(f"SELECT '{HOLDER_TAG}{text}' AS holder")

    def read_holder(self) -> Holder | None:
        row = self._connection().execute(sa.text(
            "SELECT a.pid, a.query, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
            "AND l.classid::bigint = :namespace AND l.objid::bigint = :key "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"namespace": PG_NAMESPACE, "key": self.key}).first()
        if row is None:
            return None
        found = re.search(re.escape(HOLDER_TAG) + r"(\{[^']*\})'", row.query or "")
        if found:
            with contextlib.suppress(ValueError):
                return Holder.from_record(json.loads(found.group(1)), backend_pid=row.pid)
        return Holder(since=row.backend_start, backend_pid=row.pid)  # taken a moment ago, or no privilege

    def hint(self) -> str:
        return "a holder that is gone but whose connection the server still keeps can be ended with " \
               "SELECT pg_terminate_backend(<PostgreSQL connection>)"

    def close(self) -> None:
        try:
            if self.conn is not None and self.held:
                with contextlib.suppress(sa.exc.SQLAlchemyError):
                    self.conn.execute(sa.text("SELECT pg_advisory_unlock(:namespace, :key)"),
                                      {"namespace": PG_NAMESPACE, "key": self.key})
        finally:
            if self.conn is not None:
                self.conn.close()
            if self.engine is not None:
                self.engine.dispose()
            self.conn = self.engine = None
            self.held = False


_LOCAL_LOCKS: dict[str, threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()
_LOCAL_HOLDERS: dict[str, dict] = {}


class _LocalLock:
    """An in-memory warehouse: a lock of this process only."""

    def __init__(self, name: str):
        self.name = name
        with _LOCAL_GUARD:
            self.lock = _LOCAL_LOCKS.setdefault(name, threading.Lock())
        self.held = False

    def try_acquire(self) -> bool:
        self.held = self.lock.acquire(blocking=False)
        return self.held

    def write_holder(self, record: dict) -> None:
        _LOCAL_HOLDERS[self.name] = record

    def read_holder(self) -> Holder | None:
        record = _LOCAL_HOLDERS.get(self.name)
        return Holder.from_record(record) if record else None

    def hint(self) -> str:
        return "the holder is a thread of this process"

    def close(self) -> None:
        if self.held:
            _LOCAL_HOLDERS.pop(self.name, None)
            self.lock.release()
            self.held = False
