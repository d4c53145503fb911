"""Engines and schema migrations of the warehouse.

The URL is always passed in (flows/settings.py reads it from the environment); nothing here has a
default database. SQLite gets foreign keys and WAL on every connection; PostgreSQL is used as is.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
# The warehouse, the quarantine and the reports hold personal and unpublished figures: only the account
# that runs thidua may open them. Set explicitly (chmod), because the process umask may be lax.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_private_dir(folder: str | Path) -> Path:
    """Create ``folder`` and any missing parents as owner-only (0700); existing folders are left as they are.

    Returns:
        The folder.
    """
    folder = Path(folder).expanduser()
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:  # another process made it in between: its mode is its creator's choice
            continue
        os.chmod(created, PRIVATE_DIR_MODE)
    return folder


def make_private(path: str | Path) -> Path:
    """Make one file owner-only (0600), e.g. a report just written or a delivery just quarantined."""
    os.chmod(path, PRIVATE_FILE_MODE)
    return Path(path)


def _create_private_sqlite_file(database: Path) -> None:
    # SQLite gives its -wal and -shm files the database file's permissions, so creating the file 0600
    # before SQLite opens it covers all three.
    try:
        fd = os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
    os.chmod(database, PRIVATE_FILE_MODE)


SQLITE_BUSY_MS = 30000  # how long a writer waits for another's lock; a URL's ``?timeout=SECONDS`` overrides it


def _sqlite_on_connect(dbapi_connection, _record, busy_ms: int = SQLITE_BUSY_MS) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.close()


def _sqlite_busy_ms(url: sa.URL) -> int:
    """The busy timeout of a SQLite URL: its ``timeout`` query parameter (seconds, as sqlite3 reads it)."""
    try:
        return max(0, int(float(url.query["timeout"]) * 1000)) if "timeout" in url.query else SQLITE_BUSY_MS
    except (TypeError, ValueError):
        return SQLITE_BUSY_MS


SUPPORTED_URLS = "sqlite:///PATH or postgresql://USER@HOST/DATABASE"


class WarehouseUrlError(ValueError):
    """A warehouse URL thidua cannot use; the message says why (the URL's password is never in it)."""


def normalise_url(url: str | sa.URL) -> sa.URL:
    """The warehouse URL as SQLAlchemy will use it: ``postgresql://`` and ``postgres://`` (the usual spellings,
    e.g. from libpq or a hosting panel) mean psycopg 3 (``postgresql+psycopg://``), the driver thidua installs.

    Raises:
        WarehouseUrlError: not a URL, a database other than SQLite and PostgreSQL, or another driver.
    """
    if isinstance(url, str):
        text = url.strip()
        if text.startswith("postgres://"):
            text = "postgresql://" + text[len("postgres://"):]
        try:
            url = sa.engine.make_url(text)
        except sa.exc.ArgumentError:
            raise WarehouseUrlError(f"is not a database URL; expected {SUPPORTED_URLS}") from None
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "postgresql":
        if url.drivername == "postgresql":
            return url.set(drivername="postgresql+psycopg")
        if driver != "psycopg":
            raise WarehouseUrlError(f"names the PostgreSQL driver '{driver}', which thidua does not install; "
                                    "write postgresql://… (psycopg 3)")
        return url
    if backend == "sqlite":
        if url.drivername != "sqlite":
            raise WarehouseUrlError(f"names the SQLite driver '{driver}'; write sqlite:///PATH")
        if not url.database:
            raise WarehouseUrlError("names no database file; expected sqlite:///PATH")
        return url
    raise WarehouseUrlError(f"is a {backend} database; thidua's warehouse is SQLite or PostgreSQL "
                            f"({SUPPORTED_URLS})")


def make_engine(url: str | sa.URL) -> Engine:
    """An Engine on the warehouse at ``url`` (SQLite: the file and its folder are created owner-only, FKs and
    WAL on).

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///data/warehouse.sqlite`` or
            ``postgresql+psycopg://user@host/db``.
    """
    url = normalise_url(url)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            ensure_private_dir(path.parent)
            _create_private_sqlite_file(path)
        engine = sa.create_engine(url)
        busy_ms = _sqlite_busy_ms(url)
        sa.event.listen(engine, "connect", lambda conn, record: _sqlite_on_connect(conn, record, busy_ms))
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def alembic_config(url: str | sa.URL):
    """An Alembic Config built in code: scripts in warehouse/migrations, the given database URL."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' must be escaped for ConfigParser interpolation (passwords may contain it).
    rendered = normalise_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def upgrade(url: str | sa.URL) -> None:
    """Create or migrate the warehouse at ``url`` to the latest schema (``alembic upgrade head``)."""
    from alembic import command

    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
