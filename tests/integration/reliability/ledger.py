"""The reliability suite's ledger: what was tried and what was found, printed at the end of `make test`.

Tests marked ``bad_input``, ``fault``, ``security`` or ``completeness`` are counted as tried when they run
(tests/conftest.py). The measured counters are added by the tests themselves from what they observe in the
warehouse and the outputs, so the summary line is a measurement, not a claim:

    reliability: bad inputs tried 47, faults tried 14, completeness cases tried 14, rows lost 0,
    half-loaded batches 0, duplicate loads 0, secrets found in outputs 0,
    figures lost unexpectedly 0 (over 28 checks), alerts lost 0 (over 3 checks),
    personal data found in outputs 0 (over 2 checks)

`audit(engine)` is the shared consistency check: every `loaded` load has exactly `rows_loaded`
observations, at most one `loaded` load per (source, unit, period), no observation without its load.

`figures_in_force(engine)` is the shrinkage audit (issue 16): the figures in force per (unit, source,
period), counted with SQL. Taken before and after a case, `figures_lost(before, after, expected=…)` says
how many figures disappeared from keys the case did not expect to shrink.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

COUNTERS: Counter = Counter()
MEASURED = ("rows_lost", "half_loaded_batches", "duplicate_loads", "secrets_found", "figures_lost", "alerts_lost",
            "personal_found")


def record(*, rows_lost: int | None = None, half_loaded_batches: int | None = None,
           duplicate_loads: int | None = None, secrets_found: int | None = None,
           figures_lost: int | None = None, alerts_lost: int | None = None,
           personal_found: int | None = None) -> None:
    """Add what a test measured; each counter given (zero included) counts one check of that kind.

    ``alerts_lost``: problems a test caused that, once its channels were back, were still owed or never
    reached the receiver (`alerts_owed` counts the first with SQL). ``personal_found``: personal values
    (names, CCCD numbers) found in outputs that must not hold them (messages, alerts, views, reports)."""
    for name, value in (("rows_lost", rows_lost), ("half_loaded_batches", half_loaded_batches),
                        ("duplicate_loads", duplicate_loads), ("secrets_found", secrets_found),
                        ("figures_lost", figures_lost), ("alerts_lost", alerts_lost),
                        ("personal_found", personal_found)):
        if value is None:
            continue
        COUNTERS[name] += int(value)
        COUNTERS[f"{name}_checks"] += 1


def audit(engine: sa.Engine) -> dict:
    """Consistency of the warehouse, computed with SQL (independent of the loader's code).

    Returns ``{"half_loaded_batches", "duplicate_loads", "orphan_observations", "active_rows"}``:
    loads marked `loaded` whose observation count differs from `rows_loaded` (or that have no
    `finished_at`), (source, unit, period) keys with more than one `loaded` load or the same
    fingerprint loaded twice, observations whose load is missing, and the rows in force.
    """
    with engine.connect() as conn:
        half = conn.execute(sa.text(
            "SELECT count(*) FROM loads l WHERE l.status = 'loaded' AND (l.finished_at IS NULL OR "
            "l.rows_loaded <> (SELECT count(*) FROM observations o WHERE o.load_id = l.load_id))")).scalar_one()
        dup_active = conn.execute(sa.text(
            "SELECT count(*) FROM (SELECT source_code, unit_code, period FROM loads WHERE status = 'loaded' "
            "GROUP BY source_code, unit_code, period HAVING count(*) > 1) d")).scalar_one()
        dup_fp = conn.execute(sa.text(
            "SELECT count(*) FROM (SELECT source_code, unit_code, period, fingerprint FROM loads "
            "WHERE status IN ('loaded', 'superseded') GROUP BY source_code, unit_code, period, fingerprint "
            "HAVING count(*) > 1) d")).scalar_one()
        orphans = conn.execute(sa.text(
            "SELECT count(*) FROM observations o WHERE NOT EXISTS "
            "(SELECT 1 FROM loads l WHERE l.load_id = o.load_id)")).scalar_one()
        active = conn.execute(sa.text(
            "SELECT count(*) FROM observations o JOIN loads l ON l.load_id = o.load_id "
            "WHERE l.status = 'loaded'")).scalar_one()
    return {"half_loaded_batches": int(half), "duplicate_loads": int(dup_active) + int(dup_fp),
            "orphan_observations": int(orphans), "active_rows": int(active)}


# A figure is a finite number (|x| < 1e300: NaN, inf and the 1e308 of issue 16 are not figures) or a text. In
# PostgreSQL NaN compares greater than every number, so `value < 1e300` leaves it out there too; SQLite
# stores NaN as NULL.
_FIGURES_IN_FORCE = (
    "SELECT l.unit_code, l.source_code, o.period, "
    "count(DISTINCT o.indicator_code || '|' || COALESCE(o.member_code, '')) "
    "FROM observations o JOIN loads l ON l.load_id = o.load_id "
    "WHERE l.status = 'loaded' AND ((o.value IS NOT NULL AND o.value < 1e300 AND o.value > -1e300) "
    "OR o.text_value IS NOT NULL) "
    "GROUP BY l.unit_code, l.source_code, o.period")


def alerts_owed(engine: sa.Engine, channels: list[str] | tuple[str, ...]) -> int:
    """Alerts some channel still owes, with SQL of its own: open problems a channel has not accepted, and
    announced problems, since resolved, whose fix a channel has not accepted (channels are stored comma-joined)."""
    owed = 0
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, notified_channels, resolution_notified_channels "
                                    "FROM alerts")).all()
    for status, told, fixed in rows:
        told, fixed = set((told or "").split(",")) - {""}, set((fixed or "").split(",")) - {""}
        if status == "open" and set(channels) - told:
            owed += 1
        elif status == "resolved" and told and (told & set(channels)) - fixed:
            owed += 1
    return owed


def figures_in_force(engine: sa.Engine) -> dict[tuple[str, str, str], int]:
    """Figures in force per (unit, source, period): distinct (indicator, member) with a usable value among the
    observations of `loaded` loads, `period` being the month the figure describes. SQL only, so it does not
    share the loader's (or the attainment reader's) idea of what is in force."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(_FIGURES_IN_FORCE)).all()
    return {(str(u), str(s), str(p)): int(n) for u, s, p, n in rows}


def figures_lost(before: dict, after: dict, expected: set | frozenset = frozenset()) -> dict:
    """The keys whose count of figures in force dropped, except those in `expected`: {key: (before, after)}."""
    return {key: (n, after.get(key, 0)) for key, n in before.items()
            if after.get(key, 0) < n and key not in expected}


def summary_line() -> str | None:
    """The one line the terminal summary prints (None when no reliability test ran)."""
    if not (COUNTERS["bad_input_tried"] or COUNTERS["fault_tried"] or COUNTERS["security_tried"]
            or COUNTERS["completeness_tried"]):
        return None
    parts = [f"bad inputs tried {COUNTERS['bad_input_tried']}", f"faults tried {COUNTERS['fault_tried']}",
             f"security checks tried {COUNTERS['security_tried']}",
             f"completeness cases tried {COUNTERS['completeness_tried']}"]
    for name, label in (("rows_lost", "rows lost"), ("half_loaded_batches", "half-loaded batches"),
                        ("duplicate_loads", "duplicate loads"), ("secrets_found", "secrets found in outputs"),
                        ("figures_lost", "figures lost unexpectedly"), ("alerts_lost", "alerts lost"),
                        ("personal_found", "personal data found in outputs")):
        parts.append(f"{label} {COUNTERS[name]} (over {COUNTERS[name + '_checks']} checks)")
    failed = COUNTERS["reliability_failed"]
    return "reliability: " + ", ".join(parts) + (f"; {failed} reliability test(s) FAILED" if failed else "")
