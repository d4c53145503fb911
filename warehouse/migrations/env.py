"""Alembic environment of the warehouse.

target_metadata is warehouse.models' MetaData. The URL comes from the Config (warehouse.db.upgrade
passes it, or an open connection in ``config.attributes["connection"]``); only the alembic CLI falls
back to the THIDUA_WAREHOUSE_URL environment variable.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context

from warehouse.db import make_engine
from warehouse.models import metadata

config = context.config
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("THIDUA_WAREHOUSE_URL")
    if not url:
        raise RuntimeError("no warehouse URL: set THIDUA_WAREHOUSE_URL (e.g. sqlite:///data/warehouse.sqlite)")
    return url


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    """Emit the migration SQL without a database (``alembic upgrade head --sql``)."""
    url = _url()
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"),
                      dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate a live database: the connection handed over by warehouse.db.upgrade, or the env URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
