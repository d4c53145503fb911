"""Alert state: each source problem of a (unit, period) is announced once, and its fix once.

The flows decide what is a problem and send the messages (package ``alerts``); this module only keeps
the state in the ``alerts`` table, so a retry, a rerun or a second worker never repeats a message:

- `record_problem` opens (or re-sees) the problem under its key and says which channels still owe a
  message (none, once every configured channel accepted it).
- `mark_notified` / `mark_resolution_notified` record that a channel accepted the message.
- `resolve_problems` closes the open problems of a (source, unit, period) once a good load exists and
  returns the alerts whose resolution notice is still owed.
- `owed_alerts` lists, in one query, every alert a configured channel has not accepted yet (an open
  problem not announced, a fix not announced), so any later run can send what an earlier one could not.

Also the few reads the alerting needs: the active/latest load of a delivery, sources that are late,
and the names of a unit and a source.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from warehouse import models

KINDS = ("validation_failed", "source_unreachable", "source_late", "flow_failed")


@dataclass(frozen=True)
class AlertState:
    """One row of ``alerts`` as the flows need it."""

    alert_id: int
    alert_key: str
    kind: str
    source_code: str
    unit_code: str
    period: str
    status: str
    message: str
    report_path: str | None
    load_id: int | None
    detail: dict
    notified_channels: tuple[str, ...]
    resolution_notified_channels: tuple[str, ...]

    def owed(self, channels) -> list[str]:
        """The channels (of `channels`) that have not accepted this alert yet."""
        return [c for c in channels if c not in self.notified_channels]

    def resolution_owed(self, channels) -> list[str]:
        """The channels (of `channels`) that have not accepted this alert's resolution notice yet."""
        return [c for c in channels if c not in self.resolution_notified_channels]

    def fix_owed(self, channels) -> list[str]:
        """The channels (of `channels`) that were told of the problem but not yet of its fix."""
        return [c for c in self.resolution_owed(channels) if c in self.notified_channels]


def alert_key(kind: str, unit_code: str, source_code: str, period: str, detail_key: str = "") -> str:
    """The problem's identity: ``kind:unit:source:period[:detail]``."""
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r}; known: {KINDS}")
    key = f"{kind}:{unit_code}:{source_code}:{period}"
    return f"{key}:{detail_key}" if detail_key else key


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(c for c in (text or "").split(",") if c)


def _json_safe(value):
    """`value` storable as strict JSON: a non-finite number becomes the text ``Infinity`` / ``-Infinity`` /
    ``NaN`` (PostgreSQL's json and every webhook refuse the bare tokens)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _dumps(detail) -> str:
    return json.dumps(_json_safe(detail), ensure_ascii=False, default=str, allow_nan=False)


def _state(row) -> AlertState:
    m = row._mapping
    return AlertState(m["alert_id"], m["alert_key"], m["kind"], m["source_code"], m["unit_code"], m["period"],
                      m["status"], m["message"], m["report_path"], m["load_id"],
                      json.loads(m["detail_json"]) if m["detail_json"] else {},
                      _split(m["notified_channels"]), _split(m["resolution_notified_channels"]))


def record_problem(engine: Engine, *, kind: str, source_code: str, unit_code: str, period: str,
                   message: str, detail_key: str = "", detail: dict | None = None, load_id: int | None = None,
                   report_path: str | None = None) -> AlertState:
    """Open the problem, or note that it was seen again (nothing else changes: it was already announced).

    A problem that had been resolved and comes back is re-opened and owes a new message.

    Returns:
        The alert; `AlertState.owed(channels)` says which channels still need to be told.
    """
    key = alert_key(kind, unit_code, source_code, period, detail_key)
    a = models.alerts
    now = _now()
    detail_json = _dumps(detail) if detail is not None else None
    with engine.begin() as conn:
        row = conn.execute(sa.select(a).where(a.c.alert_key == key)).first()
        if row is None:
            try:
                with conn.begin_nested():
                    conn.execute(a.insert().values(
                        alert_key=key, kind=kind, source_code=source_code, unit_code=unit_code, period=period,
                        status="open", load_id=load_id, message=message, detail_json=detail_json,
                        report_path=report_path, first_seen_at=now, last_seen_at=now, notified_channels="",
                        resolution_notified_channels=""))
            except sa.exc.IntegrityError:  # another run opened it a moment ago
                pass
        elif row.status == "resolved":
            conn.execute(a.update().where(a.c.alert_id == row.alert_id).values(
                status="open", last_seen_at=now, message=message, detail_json=detail_json, load_id=load_id,
                report_path=report_path, notified_at=None, notified_channels="", resolved_at=None,
                resolved_by_load_id=None, resolution_notified_at=None, resolution_notified_channels=""))
        else:
            conn.execute(a.update().where(a.c.alert_id == row.alert_id).values(last_seen_at=now))
        return _state(conn.execute(sa.select(a).where(a.c.alert_key == key)).one())


def _add_channel(engine: Engine, alert_id: int, channel: str, column: str, stamp: str) -> None:
    a = models.alerts
    with engine.begin() as conn:
        row = conn.execute(sa.select(a.c[column], a.c[stamp]).where(a.c.alert_id == alert_id)).one()
        channels = _split(row[0])
        if channel in channels:
            return
        values = {column: ",".join([*channels, channel])}
        if row[1] is None:
            values[stamp] = _now()
        conn.execute(a.update().where(a.c.alert_id == alert_id).values(**values))


def mark_notified(engine: Engine, alert_id: int, channel: str) -> None:
    """Record that `channel` accepted the alert (the first success also sets ``notified_at``)."""
    _add_channel(engine, alert_id, channel, "notified_channels", "notified_at")


def mark_resolution_notified(engine: Engine, alert_id: int, channel: str) -> None:
    """Record that `channel` accepted the alert's resolution notice."""
    _add_channel(engine, alert_id, channel, "resolution_notified_channels", "resolution_notified_at")


def resolve_problems(engine: Engine, *, source_code: str, unit_code: str, period: str,
                     load_id: int | None = None, kinds=KINDS) -> list[AlertState]:
    """Close the open problems of (source, unit, period) of the given kinds.

    Returns:
        The resolved alerts that were announced (some channel was told) and whose resolution notice is
        still owed: those just closed and those closed earlier whose notice did not get through. A
        problem that was never announced needs no "fixed" notice.
    """
    a = models.alerts
    now = _now()
    where = (a.c.source_code == source_code, a.c.unit_code == unit_code, a.c.period == period,
             a.c.kind.in_(list(kinds)))
    with engine.begin() as conn:
        conn.execute(a.update().where(*where, a.c.status == "open").values(
            status="resolved", resolved_at=now, resolved_by_load_id=load_id))
        rows = conn.execute(sa.select(a).where(*where, a.c.status == "resolved", a.c.notified_channels != "")
                            .order_by(a.c.alert_id)).all()
    return [_state(r) for r in rows]


def owed_alerts(engine: Engine, channels) -> list[AlertState]:
    """Every alert some channel of `channels` still owes, oldest first, in one query: open problems a channel
    has not accepted, and resolved problems that were announced but whose fix a channel has not accepted.

    One scan of the ``alerts`` table (a row per problem ever seen, so small); empty when no channel is
    configured. A fix is owed only to a channel that was told of the problem: see `AlertState.fix_owed`.
    """
    names = [str(c) for c in channels]
    if not names:
        return []
    a = models.alerts

    def listed(column, name: str) -> sa.ColumnElement:
        return (sa.literal(",") + sa.func.coalesce(column, "") + sa.literal(",")).contains(f",{name},")

    open_owed = sa.or_(*(sa.not_(listed(a.c.notified_channels, n)) for n in names))
    fix_owed = sa.or_(*(sa.and_(listed(a.c.notified_channels, n), sa.not_(listed(a.c.resolution_notified_channels, n)))
                        for n in names))
    query = (sa.select(a).where(sa.or_(sa.and_(a.c.status == "open", open_owed),
                                       sa.and_(a.c.status == "resolved", fix_owed)))
             .order_by(a.c.alert_id))
    with engine.connect() as conn:
        return [_state(r) for r in conn.execute(query)]


def read_alerts(engine: Engine, unit_code: str | None = None) -> list[AlertState]:
    """Every alert (optionally of one unit), oldest first."""
    a = models.alerts
    query = sa.select(a).order_by(a.c.alert_id)
    if unit_code is not None:
        query = query.where(a.c.unit_code == unit_code)
    with engine.connect() as conn:
        return [_state(r) for r in conn.execute(query)]


def latest_load(engine: Engine, source_code: str, unit_code: str, period: str) -> dict | None:
    """The delivery now in force for (source, unit, period), else the latest attempt, else None.

    Returns:
        ``{"load_id", "status", "fingerprint", "file_name", "rows_loaded"}``; ``status`` is ``loaded``
        when a good load is in force.
    """
    ld = models.loads
    cols = (ld.c.load_id, ld.c.status, ld.c.fingerprint, ld.c.file_name, ld.c.rows_loaded)
    key = (ld.c.source_code == source_code, ld.c.unit_code == unit_code, ld.c.period == period)
    with engine.connect() as conn:
        row = conn.execute(sa.select(*cols).where(*key, ld.c.status == "loaded")).first()
        if row is None:
            row = conn.execute(sa.select(*cols).where(*key).order_by(ld.c.load_id.desc()).limit(1)).first()
    return dict(row._mapping) if row is not None else None


def _next_month_day(period: str, day: int) -> dt.date:
    year, month = int(period[:4]), int(period[5:7])
    year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day, last))


def late_sources(engine: Engine, unit_code: str, period: str, today: dt.date) -> list[dict]:
    """Sources of month `period` that are late: `today` is past their expected day of the next month
    (catalogue ``sources[].expected_day``) and no good load of them exists.

    Returns:
        ``[{"source_code", "name_vi", "expected_day", "due_date"}]``.
    """
    s, ld = models.sources, models.loads
    with engine.connect() as conn:
        sources = conn.execute(sa.select(s.c.source_code, s.c.name_vi, s.c.expected_day)
                               .where(s.c.expected_day.is_not(None)).order_by(s.c.source_code)).all()
        loaded = set(conn.execute(sa.select(ld.c.source_code).where(
            ld.c.unit_code == unit_code, ld.c.period == period, ld.c.status == "loaded")).scalars())
    out = []
    for code, name, day in sources:
        due = _next_month_day(period, int(day))
        if today > due and code not in loaded:
            out.append({"source_code": code, "name_vi": name, "expected_day": int(day), "due_date": due})
    return out


def names(engine: Engine, unit_code: str, source_code: str | None) -> tuple[str, str]:
    """(unit name, source name) from the catalogue; the codes themselves when unknown."""
    with engine.connect() as conn:
        unit = conn.execute(sa.select(models.units.c.name_vi)
                            .where(models.units.c.unit_code == unit_code)).scalar()
        source = None
        if source_code:
            source = conn.execute(sa.select(models.sources.c.name_vi)
                                  .where(models.sources.c.source_code == source_code)).scalar()
    return unit or unit_code, source or (source_code or "")


# --------------------------------------------------------------------------- the same reads for many units
# A city close handles a chunk of wards per (source, period): one query for all of them instead of one
# per ward, with the same answers as `latest_load`, `late_sources` and the alerts rows of `resolve_problems`.


def latest_loads(engine: Engine, source_code: str, unit_codes: list[str], period: str) -> dict[str, dict]:
    """`latest_load` for many units in one query: ``{unit_code: {...}}`` (units with no load are absent)."""
    ld = models.loads
    cols = (ld.c.unit_code, ld.c.load_id, ld.c.status, ld.c.fingerprint, ld.c.file_name, ld.c.rows_loaded)
    query = (sa.select(*cols).where(ld.c.source_code == source_code, ld.c.period == period,
                                    ld.c.unit_code.in_(list(unit_codes)))
             .order_by(ld.c.unit_code, ld.c.load_id))
    out: dict[str, dict] = {}
    with engine.connect() as conn:
        for row in conn.execute(query).mappings():
            row = dict(row)
            unit = row.pop("unit_code")
            kept = out.get(unit)
            # the load in force wins; without one, the latest attempt (rows come oldest first)
            if kept is None or kept["status"] != "loaded":
                out[unit] = row
    return out


def units_with_alerts(engine: Engine, source_code: str, unit_codes: list[str], period: str) -> set[str]:
    """The units that have any alert row for (source, period): only they can have a problem to resolve."""
    a = models.alerts
    query = sa.select(a.c.unit_code).distinct().where(
        a.c.source_code == source_code, a.c.period == period, a.c.unit_code.in_(list(unit_codes)))
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def late_sources_many(engine: Engine, unit_codes: list[str], period: str,
                      today: dt.date) -> dict[str, list[dict]]:
    """`late_sources` for many units in two queries: ``{unit_code: [late source…]}`` (every unit listed)."""
    s, ld = models.sources, models.loads
    with engine.connect() as conn:
        sources = conn.execute(sa.select(s.c.source_code, s.c.name_vi, s.c.expected_day)
                               .where(s.c.expected_day.is_not(None)).order_by(s.c.source_code)).all()
        loaded = set(conn.execute(sa.select(ld.c.unit_code, ld.c.source_code).where(
            ld.c.unit_code.in_(list(unit_codes)), ld.c.period == period, ld.c.status == "loaded")).all())
    due = [(code, name, int(day), _next_month_day(period, int(day))) for code, name, day in sources]
    return {unit: [{"source_code": code, "name_vi": name, "expected_day": day, "due_date": date}
                   for code, name, day, date in due if today > date and (unit, code) not in loaded]
            for unit in unit_codes}


def unit_names(engine: Engine, unit_codes: list[str]) -> dict[str, str]:
    """`names` for many units in one query: ``{unit_code: name_vi}`` (the code itself when unknown)."""
    with engine.connect() as conn:
        found = dict(conn.execute(sa.select(models.units.c.unit_code, models.units.c.name_vi)
                                  .where(models.units.c.unit_code.in_(list(unit_codes)))).all())
    return {code: found.get(code) or code for code in unit_codes}
