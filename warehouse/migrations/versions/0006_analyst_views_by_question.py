"""Analyst views, one per question (issue 18): which indicators each target reads, the figures behind each
judgement down to the cell, the dossiers behind CT08 (each one and per month), and each source's
completeness per month. Granted to the read-only role ``thidua_analyst`` on PostgreSQL.

The SQL is frozen here (a later change is a new migration that replaces the views); warehouse/README.md
documents every view and column. JSON is unnested with each engine's functions (``json_each`` /
``json_extract`` on SQLite, ``jsonb_array_elements`` / ``#>>`` on PostgreSQL), dates with ``substr`` /
``date`` on SQLite and ``to_char`` / ``CAST(… AS date)`` on PostgreSQL; the rest is the same SQL.

A later migration that rebuilds ``targets``, ``attainment_evaluations``, ``observations``, ``loads``,
``dossiers`` or ``validation_results`` in SQLite batch mode (copy and move) must drop these views first
and recreate them after.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ANALYST_ROLE = "thidua_analyst"
ONLINE_CHANNEL = 2  # KenhThucHien 2: trực tuyến (connectors.public_service.ONLINE_CHANNEL)
HOLD_RULE = "public_service.no_sudden_drop"  # flows.holds.RULE_ID: a held delivery's failed rule

# created in this order (each may read the ones before), dropped in reverse
VIEW_ORDER = ["v_target_indicators", "v_judgement_figures", "v_dossiers", "v_dossiers_monthly",
              "v_source_completeness"]


class _Sqlite:
    """The engine-specific fragments on SQLite (JSON1, ISO text timestamps)."""

    @staticmethod
    def json_text(column: str, *path: str) -> str:
        return f"json_extract({column}, '$.{'.'.join(path)}')"

    @staticmethod
    def json_int(column: str, *path: str) -> str:
        return f"CAST(json_extract({column}, '$.{'.'.join(path)}') AS INTEGER)"

    @staticmethod
    def estimates(column: str) -> tuple[str, str]:
        """A join over measure.estimate_preference, and the 1-based rank of its element ``e.value``."""
        return f"JOIN json_each({column}, '$.estimate_preference') e", "e.key + 1"

    @staticmethod
    def inputs(column: str) -> str:
        """A join yielding one row (i.value: a JSON object) per element of the inputs_json array."""
        return f"JOIN json_each({column}) i"

    @staticmethod
    def input_field(name: str, *, integer: bool = False) -> str:
        expr = f"json_extract(i.value, '$.{name}')"
        return f"CAST({expr} AS INTEGER)" if integer else expr

    @staticmethod
    def month(column: str) -> str:
        return f"substr({column}, 1, 7)"

    @staticmethod
    def day(column: str) -> str:
        return f"substr({column}, 1, 10)"

    @staticmethod
    def days_between(later: str, earlier: str) -> str:
        return f"CAST(julianday(substr({later}, 1, 10)) - julianday(substr({earlier}, 1, 10)) AS INTEGER)"

    @staticmethod
    def due_on(period: str, day: str) -> str:
        return f"date({period} || '-01', '+1 month', '+' || (COALESCE({day}, 1) - 1) || ' days')"


class _Postgres:
    """The engine-specific fragments on PostgreSQL (jsonb, timestamp and date types)."""

    @staticmethod
    def json_text(column: str, *path: str) -> str:
        return f"(CAST({column} AS jsonb) #>> '{{{','.join(path)}}}')"

    @staticmethod
    def json_int(column: str, *path: str) -> str:
        return f"CAST(CAST({column} AS jsonb) #>> '{{{','.join(path)}}}' AS INTEGER)"

    @staticmethod
    def estimates(column: str) -> tuple[str, str]:
        return (f"CROSS JOIN LATERAL jsonb_array_elements_text(CAST({column} AS jsonb) -> 'estimate_preference') "
                f"WITH ORDINALITY AS e(value, rank)", "e.rank")

    @staticmethod
    def inputs(column: str) -> str:
        return f"CROSS JOIN LATERAL jsonb_array_elements(CAST({column} AS jsonb)) AS i(value)"

    @staticmethod
    def input_field(name: str, *, integer: bool = False) -> str:
        expr = f"(i.value ->> '{name}')"
        return f"CAST({expr} AS INTEGER)" if integer else expr

    @staticmethod
    def month(column: str) -> str:
        return f"to_char({column}, 'YYYY-MM')"

    @staticmethod
    def day(column: str) -> str:
        return f"CAST({column} AS date)"

    @staticmethod
    def days_between(later: str, earlier: str) -> str:
        return f"(CAST({later} AS date) - CAST({earlier} AS date))"

    @staticmethod
    def due_on(period: str, day: str) -> str:
        return (f"CAST(to_date({period} || '-01', 'YYYY-MM-DD') + interval '1 month' "
                f"+ (COALESCE({day}, 1) - 1) * interval '1 day' AS date)")


def _target_indicators(d) -> str:
    """One row per (target, indicator it reads): the measure's references, from targets.measure_json."""
    m = "t.measure_json"
    head = """p.plan_code, t.plan_id, p.year AS plan_year, p.unit_code AS plan_unit_code, t.target_code,
               t.plan_item, t.name_vi, t.source_code, s.name_vi AS source_name_vi, t.display_unit, t.comparison,
               t.bound_low, t.bound_high, {kind} AS measure_kind"""
    head = head.format(kind=d.json_text(m, "kind"))
    tail = """FROM targets t
        JOIN plans p ON p.plan_id = t.plan_id
        LEFT JOIN sources s ON s.source_code = t.source_code"""

    def ref(role: str, *path: str) -> str:
        return f"""
        SELECT {head}, '{role}' AS role, {d.json_text(m, *path, 'indicator')} AS indicator_code,
               COALESCE({d.json_text(m, *path, 'member')}, '') AS member_code, CAST(NULL AS TEXT) AS members,
               {d.json_text(m, *path, 'window')} AS time_window,
               COALESCE({d.json_int(m, *path, 'year_offset')}, 0) AS year_offset, CAST(NULL AS INTEGER) AS preference,
               CAST(NULL AS TEXT) AS review_reason
        {tail}
        WHERE {d.json_text(m, 'kind')} {"= 'growth'" if path else "IN ('ratio', 'total', 'assessment')"}"""

    actual = f"""
        SELECT {head}, 'actual' AS role, {d.json_text(m, 'actual', 'indicator')} AS indicator_code,
               CAST(NULL AS TEXT) AS member_code, {d.json_text(m, 'members')} AS members,
               {d.json_text(m, 'window')} AS time_window, 0 AS year_offset, CAST(NULL AS INTEGER) AS preference,
               CAST(NULL AS TEXT) AS review_reason
        {tail}
        WHERE {d.json_text(m, 'kind')} = 'items_meeting'"""
    join, rank = d.estimates(m)
    estimate = f"""
        SELECT {head}, 'estimate' AS role, CAST(e.value AS TEXT) AS indicator_code,
               CAST(NULL AS TEXT) AS member_code, {d.json_text(m, 'members')} AS members,
               {d.json_text(m, 'window')} AS time_window, 0 AS year_offset, CAST({rank} AS INTEGER) AS preference,
               CAST(NULL AS TEXT) AS review_reason
        {tail}
        {join}
        WHERE {d.json_text(m, 'kind')} = 'items_meeting'"""
    # a target imported from a plan's text that a person must still type (catalogue `status: needs_review`):
    # one row without an indicator, with the reason
    review = f"""
        SELECT {head}, 'needs_review' AS role, CAST(NULL AS TEXT) AS indicator_code, CAST(NULL AS TEXT) AS member_code,
               CAST(NULL AS TEXT) AS members, CAST(NULL AS TEXT) AS time_window, 0 AS year_offset,
               CAST(NULL AS INTEGER) AS preference, {d.json_text(m, 'reason')} AS review_reason
        {tail}
        WHERE {d.json_text(m, 'kind')} = 'needs_review'"""
    return " UNION ALL ".join([ref("numerator", "numerator"), ref("denominator", "denominator"),
                               ref("figure"), actual, estimate, review])


def _judgement_figures(d) -> str:
    """One row per (snapshot, input delivery-month, figure of the target's indicators in it)."""
    load_id = d.input_field("load_id", integer=True)
    period = d.input_field("period")
    return f"""
        SELECT h.evaluation_id, h.plan_code, h.plan_id, h.target_code, h.plan_item, h.name_vi, h.display_unit,
               h.unit_code, h.period, h.evaluated_at, h.revision, h.is_latest, h.is_restatement, h.status,
               h.value AS judged_value, h.comparison, h.bound_low, h.bound_high,
               {d.input_field("source")} AS input_source, {load_id} AS input_load_id, {period} AS input_period,
               ti.role AS role, o.observation_id AS observation_id, o.indicator_code AS indicator_code,
               o.member_code AS member_code, o.period AS figure_period,
               o.value AS figure_value, o.numerator AS figure_numerator, o.denominator AS figure_denominator,
               o.text_value AS figure_text, l.status AS load_status, l.period AS load_period, l.file_name,
               o.source_file AS source_file, o.sheet AS sheet, o.row_number AS row_number,
               o.column_name AS column_name, o.raw_text AS raw_text
        FROM v_attainment_history h
        {d.inputs("h.inputs_json")}
        LEFT JOIN loads l ON l.load_id = {load_id}
        LEFT JOIN (v_target_indicators ti
                   JOIN observations o
                     ON o.indicator_code = ti.indicator_code
                        OR (ti.time_window = 'ytd_sum'
                            AND o.indicator_code = CASE WHEN ti.indicator_code = 'REV_MONTH' THEN 'REV_YTD'
                                                        ELSE ti.indicator_code || '_YTD' END))
          ON ti.plan_id = h.plan_id AND ti.target_code = h.target_code
             AND o.load_id = {load_id} AND o.period = {period}
             AND CAST(substr(o.period, 1, 4) AS INTEGER) = CAST(substr(h.period, 1, 4) AS INTEGER) + ti.year_offset
             AND ((ti.members IS NULL AND (ti.member_code = '' OR o.member_code = ti.member_code))
                  OR (ti.members IS NOT NULL
                      AND o.member_code LIKE REPLACE(REPLACE(ti.members, '*', '%'), '?', '_')))
    """


def _dossiers(d) -> str:
    """The dossiers of the public_service deliveries in force, each flagged as CT08a/b/c count it."""
    received = f"COALESCE({d.month('d.received_at')} = d.period, FALSE)"
    resolved = f"COALESCE({d.month('d.finished_at')} = d.period AND d.rejected_at IS NULL, FALSE)"
    on_time = f"COALESCE({d.day('d.finished_at')} <= {d.day('d.due_at')}, FALSE)"
    fee = "COALESCE(d.fee_vnd, 0) > 0"
    return f"""
        SELECT d.unit_code, d.period, d.load_id, l.file_name, d.dossier_code, d.procedure_code, d.field_code,
               d.service_level, d.channel, d.received_at, d.due_at, d.finished_at, d.returned_at, d.rejected_at,
               d.status_code, d.is_paid_online, d.fee_vnd,
               {received} AS is_received,
               ({received} AND COALESCE(d.channel = {ONLINE_CHANNEL}, FALSE)) AS is_received_online,
               {resolved} AS is_resolved,
               ({resolved} AND {on_time}) AS is_on_time,
               ({resolved} AND NOT {on_time}) AS is_late,
               CASE WHEN {resolved} AND NOT {on_time} THEN {d.days_between('d.finished_at', 'd.due_at')}
               END AS days_late,
               ({received} AND {fee}) AS has_fee,
               ({received} AND {fee} AND COALESCE(d.is_paid_online, FALSE)) AS is_fee_paid_online,
               COALESCE({d.month('d.rejected_at')} = d.period, FALSE) AS is_rejected
        FROM dossiers d
        JOIN loads l ON l.load_id = d.load_id AND l.status = 'loaded' AND l.source_code = 'public_service'
    """


def _count(flag: str) -> str:
    return f"SUM(CASE WHEN {flag} THEN 1 ELSE 0 END)"


def _rate(part: str, whole: str) -> str:
    """part / whole in %, NULL over nothing (a rate over no dossier is not 0 %)."""
    return f"CAST(100.0 * {_count(part)} / NULLIF({_count(whole)}, 0) AS DOUBLE PRECISION)"


_DOSSIERS_MONTHLY = f"""
        SELECT v.unit_code, v.period, MIN(v.load_id) AS load_id, COUNT(*) AS dossiers,
               {_count('v.is_received')} AS received, {_count('v.is_received_online')} AS received_online,
               {_count('v.is_resolved')} AS resolved, {_count('v.is_on_time')} AS resolved_on_time,
               {_count('v.is_late')} AS resolved_late, {_count('v.has_fee')} AS fee_bearing,
               {_count('v.is_fee_paid_online')} AS fee_paid_online, {_count('v.is_rejected')} AS rejected,
               {_rate('v.is_received_online', 'v.is_received')} AS online_rate,
               {_rate('v.is_on_time', 'v.is_resolved')} AS on_time_rate,
               {_rate('v.is_fee_paid_online', 'v.has_fee')} AS fee_online_rate
        FROM v_dossiers v
        GROUP BY v.unit_code, v.period
"""


def _source_completeness(d) -> str:
    """Every (source, unit, month) a plan expects or a delivery was tried for, and what became of it."""
    months = " UNION ALL ".join(f"SELECT '{m:02d}' AS mm" for m in range(1, 13))
    due = d.due_on("k.period", "s.expected_day")
    return f"""
        WITH months AS ({months}),
        expected AS (
            SELECT DISTINCT t.source_code, p.unit_code, CAST(p.year AS TEXT) || '-' || m.mm AS period
            FROM plans p
            JOIN targets t ON t.plan_id = p.plan_id
            CROSS JOIN months m
            WHERE COALESCE(p.settings, '') NOT LIKE '%"rollup_of"%' AND COALESCE(t.source_code, '') <> ''
        ),
        keys AS (
            SELECT source_code, unit_code, period FROM expected
            UNION
            SELECT source_code, unit_code, period FROM loads
        )
        SELECT k.source_code, s.name_vi AS source_name_vi, k.unit_code, k.period, {due} AS due_on,
               CASE WHEN ss.latest_load_id IS NULL
                        THEN CASE WHEN {due} < CURRENT_DATE THEN 'missing' ELSE 'not_due' END
                    WHEN ss.latest_status = 'loaded' THEN 'delivered'
                    WHEN ss.latest_status = 'quarantined' AND EXISTS (
                        SELECT 1 FROM validation_results v
                        WHERE v.load_id = ss.latest_load_id AND v.result_json LIKE '%{HOLD_RULE}%') THEN 'held'
                    ELSE ss.latest_status END AS status,
               (ss.active_load_id IS NOT NULL) AS has_data_in_force,
               ss.latest_load_id, ss.active_load_id, ss.file_name, ss.message, ss.rows_loaded,
               ss.finished_at AS latest_finished_at,
               (SELECT COUNT(*) FROM loads a WHERE a.source_code = k.source_code AND a.unit_code = k.unit_code
                  AND a.period = k.period) AS attempts,
               (SELECT COUNT(*) FROM loads q WHERE q.source_code = k.source_code AND q.unit_code = k.unit_code
                  AND q.period = k.period AND q.status = 'quarantined') AS quarantined_attempts
        FROM keys k
        LEFT JOIN sources s ON s.source_code = k.source_code
        LEFT JOIN v_source_status ss
          ON ss.source_code = k.source_code AND ss.unit_code = k.unit_code AND ss.period = k.period
    """


def view_sql(dialect_name: str) -> dict[str, str]:
    """The SELECT of each view for one engine (``sqlite`` or ``postgresql``)."""
    d = _Postgres if dialect_name == "postgresql" else _Sqlite
    return {
        "v_target_indicators": _target_indicators(d),
        "v_judgement_figures": _judgement_figures(d),
        "v_dossiers": _dossiers(d),
        "v_dossiers_monthly": _DOSSIERS_MONTHLY,
        "v_source_completeness": _source_completeness(d),
    }


_PG_GRANTS = f"""
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ANALYST_ROLE}') THEN
        EXECUTE 'GRANT SELECT ON {", ".join(VIEW_ORDER)} TO {ANALYST_ROLE}';
    END IF;
END $$;
"""


def upgrade() -> None:
    """Upgrade schema."""
    dialect = op.get_bind().dialect.name
    sql = view_sql(dialect)
    for name in VIEW_ORDER:
        op.execute(f"CREATE VIEW {name} AS {sql[name].strip()}")
    if dialect == "postgresql":
        op.execute(_PG_GRANTS)


def downgrade() -> None:
    """Downgrade schema."""
    for name in reversed(VIEW_ORDER):
        op.execute(f"DROP VIEW IF EXISTS {name}")
