"""Fixtures of the integration tests: Prefect's test harness (once per session), the stand-in API on
loopback, a session-long PostgreSQL database."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture(scope="session")
def standin_api(samples_dir):
    from standin.public_service import serve

    token = uuid.uuid4().hex
    server, _thread = serve(samples_dir / "public_service" / "dossiers.json", host="127.0.0.1", port=0,
                            token=token)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}", token
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def pg_session_url(pg_server_url):
    """A PostgreSQL database that lives for the whole session (the year is loaded once)."""
    name = f"thidua_close_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                             (name,))
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()
