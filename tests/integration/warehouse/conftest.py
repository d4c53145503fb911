"""Fixtures of the warehouse tests."""

from __future__ import annotations

import pytest

from warehouse import db


@pytest.fixture()
def engine(warehouse_url):
    """An Engine on a freshly migrated warehouse, on each engine in turn (SQLite, PostgreSQL)."""
    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    yield engine
    engine.dispose()
