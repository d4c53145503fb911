"""The warehouse schema: SQLAlchemy 2 declarative models, one MetaData, valid on SQLite and PostgreSQL.

Naming rules: codes end in ``_code``, surrogate keys in ``_id``, timestamps in ``_at``, booleans start
with ``is_``. JSON documents are stored as text (``*_json``/``settings``) so one schema serves both
engines. Money is VND as double precision. The data dictionary is ``warehouse/README.md``.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LOAD_STATUSES = ("loaded", "superseded", "quarantined", "failed")
EVALUATION_STATUSES = ("met", "exceeded", "on_track", "behind", "not_met", "no_data")

Code = sa.String(64)
Stamp = sa.DateTime(timezone=True)


class Base(DeclarativeBase):
    """The declarative base: one MetaData with the constraint naming convention."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Unit(Base):
    """An administrative unit (ward, city) by its GSO code."""

    __tablename__ = "units"

    unit_code: Mapped[str] = mapped_column(Code, primary_key=True)
    name_vi: Mapped[str] = mapped_column(sa.Text)
    level: Mapped[str] = mapped_column(sa.String(32))
    parent_code: Mapped[str | None] = mapped_column(Code)
    valid_from: Mapped[dt.date | None] = mapped_column(sa.Date)
    valid_to: Mapped[dt.date | None] = mapped_column(sa.Date)
    population: Mapped[int | None] = mapped_column(sa.Integer)
    area_km2: Mapped[float | None] = mapped_column(sa.Double)


class Source(Base):
    """A data source (one export or API) and the day of the month it is expected."""

    __tablename__ = "sources"

    source_code: Mapped[str] = mapped_column(Code, primary_key=True)
    name_vi: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(32))
    expected_day: Mapped[int | None] = mapped_column(sa.Integer)


class Plan(Base):
    """An emulation plan (one catalogue file): unit, year, issuer."""

    __tablename__ = "plans"

    plan_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    plan_code: Mapped[str] = mapped_column(Code, unique=True)
    unit_code: Mapped[str] = mapped_column(Code)
    year: Mapped[int] = mapped_column(sa.Integer)
    title_vi: Mapped[str] = mapped_column(sa.Text)
    issued_by_vi: Mapped[str | None] = mapped_column(sa.Text)
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    catalogue_sha256: Mapped[str] = mapped_column(sa.String(64))
    settings: Mapped[str] = mapped_column(sa.Text, default="{}")


class Target(Base):
    """One evaluated target of a plan, with its measure (JSON) and bound(s)."""

    __tablename__ = "targets"
    __table_args__ = (sa.UniqueConstraint("plan_id", "target_code"),)

    target_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.plan_id", ondelete="CASCADE"))
    target_code: Mapped[str] = mapped_column(Code)
    plan_item: Mapped[int | None] = mapped_column(sa.Integer)
    name_vi: Mapped[str] = mapped_column(sa.Text)
    measure_vi: Mapped[str | None] = mapped_column(sa.Text)
    source_code: Mapped[str] = mapped_column(Code)
    display_unit: Mapped[str | None] = mapped_column(sa.String(32))
    comparison: Mapped[str] = mapped_column(sa.String(32))
    bound_low: Mapped[float | None] = mapped_column(sa.Double)
    bound_high: Mapped[float | None] = mapped_column(sa.Double)
    is_accumulating: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    measure_json: Mapped[str] = mapped_column(sa.Text)


class Load(Base):
    """One delivery of one source for one (unit, period), whatever became of it."""

    __tablename__ = "loads"
    __table_args__ = (
        sa.CheckConstraint("status IN ('loaded', 'superseded', 'quarantined', 'failed')", name="status"),
        # At most one active (`loaded`) delivery per (source, unit, period). load_delivery enforces it in
        # its transaction; this partial unique index is the database's backstop against a race.
        sa.Index("ix_loads_active", "source_code", "unit_code", "period", unique=True,
                 sqlite_where=sa.text("status = 'loaded'"), postgresql_where=sa.text("status = 'loaded'")),
        sa.Index("ix_loads_fingerprint", "source_code", "unit_code", "period", "fingerprint"),
    )

    load_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    source_code: Mapped[str] = mapped_column(Code)
    unit_code: Mapped[str] = mapped_column(Code)
    period: Mapped[str] = mapped_column(sa.String(7))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    file_name: Mapped[str | None] = mapped_column(sa.Text)
    flow_run_id: Mapped[str | None] = mapped_column(sa.String(64))
    rows_read: Mapped[int | None] = mapped_column(sa.Integer)
    rows_loaded: Mapped[int] = mapped_column(sa.Integer, default=0)
    status: Mapped[str] = mapped_column(sa.String(16))
    message: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[dt.datetime] = mapped_column(Stamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    superseded_by_load_id: Mapped[int | None] = mapped_column(sa.ForeignKey("loads.load_id"))


class Observation(Base):
    """One figure of one delivery, with the cell it came from."""

    __tablename__ = "observations"
    __table_args__ = (
        sa.UniqueConstraint("load_id", "indicator_code", "unit_code", "period", "member_code",
                            name="uq_observations_natural_key"),
        sa.Index("ix_observations_unit_period", "unit_code", "period", "indicator_code"),
    )

    observation_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    load_id: Mapped[int] = mapped_column(sa.ForeignKey("loads.load_id", ondelete="CASCADE"))
    indicator_code: Mapped[str] = mapped_column(Code)
    unit_code: Mapped[str] = mapped_column(Code)
    period: Mapped[str] = mapped_column(sa.String(7))
    member_code: Mapped[str] = mapped_column(Code, default="")
    value: Mapped[float | None] = mapped_column(sa.Double)
    numerator: Mapped[float | None] = mapped_column(sa.Double)
    denominator: Mapped[float | None] = mapped_column(sa.Double)
    text_value: Mapped[str | None] = mapped_column(sa.Text)
    source_file: Mapped[str | None] = mapped_column(sa.Text)
    sheet: Mapped[str | None] = mapped_column(sa.Text)
    row_number: Mapped[int | None] = mapped_column(sa.Integer)
    column_name: Mapped[str | None] = mapped_column(sa.Text)
    raw_text: Mapped[str | None] = mapped_column(sa.Text)
    # the spreadsheet column of the cell ('G'; with row_number the cell 'G14'); NULL without a cell (0007)
    column_letter: Mapped[str | None] = mapped_column(sa.String(8))


class ValidationResult(Base):
    """The summary of the expectation suite run over one delivery."""

    __tablename__ = "validation_results"

    validation_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    load_id: Mapped[int] = mapped_column(sa.ForeignKey("loads.load_id", ondelete="CASCADE"), index=True)
    suite_name: Mapped[str | None] = mapped_column(sa.Text)
    is_success: Mapped[bool] = mapped_column(sa.Boolean)
    evaluated_count: Mapped[int | None] = mapped_column(sa.Integer)
    failed_count: Mapped[int | None] = mapped_column(sa.Integer)
    result_json: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(Stamp)


class AttainmentEvaluation(Base):
    """A dated snapshot of one target's status for one (unit, period), from identified inputs."""

    __tablename__ = "attainment_evaluations"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "target_code", "unit_code", "period", "inputs_fingerprint",
                            name="uq_attainment_evaluations_snapshot"),
        sa.CheckConstraint(
            "status IN ('met', 'exceeded', 'on_track', 'behind', 'not_met', 'no_data')", name="status"),
        sa.Index("ix_attainment_evaluations_unit_period", "unit_code", "period"),
    )

    evaluation_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.plan_id", ondelete="CASCADE"))
    target_code: Mapped[str] = mapped_column(Code)
    unit_code: Mapped[str] = mapped_column(Code)
    period: Mapped[str] = mapped_column(sa.String(7))
    evaluated_at: Mapped[dt.datetime] = mapped_column(Stamp)
    flow_run_id: Mapped[str | None] = mapped_column(sa.String(64))
    value: Mapped[float | None] = mapped_column(sa.Double)
    numerator: Mapped[float | None] = mapped_column(sa.Double)
    denominator: Mapped[float | None] = mapped_column(sa.Double)
    bound_low: Mapped[float | None] = mapped_column(sa.Double)
    bound_high: Mapped[float | None] = mapped_column(sa.Double)
    comparison: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[str | None] = mapped_column(sa.Text)
    inputs_json: Mapped[str] = mapped_column(sa.Text)
    inputs_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    # the outlook for the year (warehouse/README.md, "Outlook"); migration 0003
    outlook_value: Mapped[float | None] = mapped_column(sa.Double)
    outlook_status: Mapped[str | None] = mapped_column(sa.String(16))
    outlook_method: Mapped[str | None] = mapped_column(sa.String(16))
    outlook_detail: Mapped[str | None] = mapped_column(sa.Text)
    gap_value: Mapped[float | None] = mapped_column(sa.Double)
    gap_text: Mapped[str | None] = mapped_column(sa.Text)
    # a snapshot added after the year was closed (a December snapshot already existed): a restatement
    is_restatement: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false(), default=False)


class Alert(Base):
    """One open or resolved problem of a source for a (unit, period): sent once, its fix announced once.

    ``alert_key`` identifies the problem: ``<kind>:<unit>:<source>:<period>``, plus the delivery's
    fingerprint for a failed validation (a *different* bad file is a new problem; the same file met at a
    rerun is not). A rerun that meets the same problem updates ``last_seen_at`` and sends nothing.
    ``notified_channels`` / ``resolution_notified_channels`` list the channels (``webhook``, ``email``)
    that accepted the alert / its resolution notice, so a channel that was down is retried at the next
    run without repeating the others; ``notified_at`` / ``resolution_notified_at`` are the first success.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        sa.UniqueConstraint("alert_key"),
        sa.CheckConstraint("status IN ('open', 'resolved')", name="status"),
        sa.Index("ix_alerts_unit_source_period", "unit_code", "source_code", "period"),
    )

    alert_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    alert_key: Mapped[str] = mapped_column(sa.String(200))
    # validation_failed | source_unreachable | source_late | flow_failed
    kind: Mapped[str] = mapped_column(sa.String(32))
    source_code: Mapped[str] = mapped_column(Code)
    unit_code: Mapped[str] = mapped_column(Code)
    period: Mapped[str] = mapped_column(sa.String(7))
    status: Mapped[str] = mapped_column(sa.String(16))  # open | resolved
    load_id: Mapped[int | None] = mapped_column(sa.Integer)
    message: Mapped[str] = mapped_column(sa.Text)
    detail_json: Mapped[str | None] = mapped_column(sa.Text)
    report_path: Mapped[str | None] = mapped_column(sa.Text)
    first_seen_at: Mapped[dt.datetime] = mapped_column(Stamp)
    last_seen_at: Mapped[dt.datetime] = mapped_column(Stamp)
    notified_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    notified_channels: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    resolved_by_load_id: Mapped[int | None] = mapped_column(sa.Integer)
    resolution_notified_at: Mapped[dt.datetime | None] = mapped_column(Stamp)
    resolution_notified_channels: Mapped[str] = mapped_column(sa.Text, default="")


class UnitCrosswalk(Base):
    """A predecessor unit that became (part of) a successor on ``effective_date``, with the share of its
    figures that goes to the successor (1.0 when whole; population or area share when split). Migration 0004.
    """

    __tablename__ = "unit_crosswalk"
    __table_args__ = (
        sa.CheckConstraint("share > 0 AND share <= 1", name="share"),
        sa.Index("ix_unit_crosswalk_successor", "successor_code", "effective_date"),
    )

    predecessor_code: Mapped[str] = mapped_column(Code, primary_key=True)
    successor_code: Mapped[str] = mapped_column(Code, primary_key=True)
    effective_date: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    is_whole: Mapped[bool] = mapped_column(sa.Boolean)
    share: Mapped[float] = mapped_column(sa.Double)
    share_basis: Mapped[str] = mapped_column(sa.String(32))  # whole | population | area
    legal_basis_vi: Mapped[str | None] = mapped_column(sa.Text)


class Dossier(Base):
    """One one-stop dossier of a public_service load: codes, channel, dates, fee; never a person's data.

    Loaded in bulk with its load (PostgreSQL COPY, SQLite executemany), in the load's transaction.
    Migration 0004; ``load_id`` names its load but is not a database foreign key (migration 0005: the
    per-row check cost as much as the COPY; loads are superseded, never deleted).
    """

    __tablename__ = "dossiers"
    __table_args__ = (sa.Index("ix_dossiers_unit_period", "unit_code", "period"),)

    load_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)  # loads.load_id (see the docstring)
    dossier_code: Mapped[str] = mapped_column(Code, primary_key=True)
    unit_code: Mapped[str] = mapped_column(Code)
    period: Mapped[str] = mapped_column(sa.String(7))
    procedure_code: Mapped[str | None] = mapped_column(Code)
    field_code: Mapped[str | None] = mapped_column(Code)
    service_level: Mapped[int | None] = mapped_column(sa.Integer)
    channel: Mapped[int | None] = mapped_column(sa.Integer)
    received_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    returned_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    rejected_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime)
    status_code: Mapped[str | None] = mapped_column(sa.String(16))
    is_paid_online: Mapped[bool | None] = mapped_column(sa.Boolean)
    fee_vnd: Mapped[float | None] = mapped_column(sa.Double)


metadata = Base.metadata
units = Unit.__table__
sources = Source.__table__
plans = Plan.__table__
targets = Target.__table__
loads = Load.__table__
observations = Observation.__table__
validation_results = ValidationResult.__table__
attainment_evaluations = AttainmentEvaluation.__table__
alerts = Alert.__table__
unit_crosswalk = UnitCrosswalk.__table__
dossiers = Dossier.__table__
