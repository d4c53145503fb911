"""The warehouse schema on both engines: upgrade from empty, and models == migrations (alembic check)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from warehouse import db, models

TABLES = {"units", "sources", "plans", "targets", "loads", "observations", "validation_results",
          "attainment_evaluations", "alerts"}


def test_upgrade_from_empty_creates_every_table(warehouse_url):
    db.upgrade(warehouse_url)
    db.upgrade(warehouse_url)  # safe to re-run
    engine = db.make_engine(warehouse_url)
    try:
        inspector = sa.inspect(engine)
        assert TABLES <= set(inspector.get_table_names())
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        # the newest migration file on disk, found independently of warehouse.db
        from alembic.script import ScriptDirectory

        assert version == ScriptDirectory.from_config(db.alembic_config(warehouse_url)).get_current_head()
    finally:
        engine.dispose()


def test_models_match_migrations(warehouse_url):
    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": True})
            diffs = compare_metadata(context, models.metadata)
        assert diffs == []
    finally:
        engine.dispose()


def test_drift_would_be_detected(warehouse_url):
    # The check above can fail: a column the migration lacks shows up as a diff.
    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    metadata = sa.MetaData()
    for table in models.metadata.sorted_tables:
        table.to_metadata(metadata)
    metadata.tables["units"].append_column(sa.Column("is_extra", sa.Boolean))
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
        assert [d[0] for d in diffs] == ["add_column"]
    finally:
        engine.dispose()


def test_sqlite_engine_enforces_foreign_keys_and_creates_its_folder(tmp_path):
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'warehouse.sqlite'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        try:
            with engine.begin() as conn:
                conn.execute(models.observations.insert().values(
                    load_id=999, indicator_code="X", unit_code="1", period="2025-01", member_code=""))
        except sa.exc.IntegrityError:
            pass
        else:
            raise AssertionError("an observation of an unknown load was accepted")
    finally:
        engine.dispose()


def test_alembic_cli_config(tmp_path, monkeypatch):
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("THIDUA_WAREHOUSE_URL", url)
    command.upgrade(Config(str(db.PACKAGE_DIR / "alembic.ini")), "head")
    engine = db.make_engine(url)
    try:
        assert TABLES <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_downgrade_to_empty_and_back(warehouse_url):
    from alembic import command

    db.upgrade(warehouse_url)
    engine = db.make_engine(warehouse_url)
    try:
        with engine.begin() as conn:
            config = db.alembic_config(warehouse_url)
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert not TABLES & set(sa.inspect(engine).get_table_names())
        db.upgrade(warehouse_url)
        assert TABLES <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
