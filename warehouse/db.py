"""Engines and schema migrations of the warehouse.

The URL is always passed in (flows/settings.py reads it from the environment); nothing here has a
default database. SQLite gets foreign keys and WAL on every connection; PostgreSQL is used as is.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"


def _sqlite_on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str | sa.URL) -> Engine:
    """An Engine on the warehouse at ``url`` (SQLite: the file's folder is created, FKs and WAL on).

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///data/warehouse.sqlite`` or
            ``postgresql+psycopg://user@host/db``.
    """
    url = sa.engine.make_url(url)
    if url.get_backend_name() == "sqlite":
        database = url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def alembic_config(url: str | sa.URL):
    """An Alembic Config built in code: scripts in warehouse/migrations, the given database URL."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' must be escaped for ConfigParser interpolation (passwords may contain it).
    rendered = sa.engine.make_url(url).render_as_string(hide_password=False)
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
