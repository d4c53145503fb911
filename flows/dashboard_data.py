"""What the dashboard shows beyond the attainment: each target's lineage down to the cell, the rules that
ran on its deliveries, each source's state in plain Vietnamese, and the validation reports it links to.

Everything is read through the analyst views (``v_observations_lineage``, ``v_validation_results``) and
the catalogue's targets, then handed to the pure ``reports`` package as plain dicts:

- ``target_details``: per target, its measure and the figures the judgement used: the observations of the
  loads and months named in its ``inputs`` whose indicator (and member) the measure reads;
- ``source_summaries``: a sentence per source ("Báo cáo thu ngân sách tháng 12 bị trả lại: dòng 14, cột G
  'Lũy kế từ đầu năm': gặp '3512.8', cần …"), never the load's technical message;
- ``validation_pages``: the stored validation result of every delivery named, rendered again as the
  self-contained report page (``expectations.render_report_html``) to sit beside the dashboard.
"""

from __future__ import annotations

import fnmatch
import json

import pandas as pd
import sqlalchemy as sa

from expectations.messages import cell_vi
from reports.vn import missing

REPORT_DIR = "kiem-tra"
# how a source's delivery is called in a sentence
SOURCE_DOCUMENT_VI = {
    "tax": "Báo cáo thu ngân sách",
    "public_service": "Dữ liệu hồ sơ thủ tục hành chính",
    "health": "Báo cáo của Trạm Y tế",
    "education": "Danh sách trường học",
    "indicators": "Biểu chỉ tiêu kinh tế - xã hội",
}


def report_href(source_code: str, period: str, load_id) -> str:
    """The validation report's path relative to the dashboard folder."""
    return f"{REPORT_DIR}/{source_code}-{period}-{int(load_id)}.html"


def measure_references(measure: dict) -> list[tuple[str, str | None]]:
    """(indicator, member pattern) pairs a measure reads, with the year-to-date and same-period figures
    that may stand in for them (``warehouse.attainment.cumulative_of``, ``SAME_PERIOD_LAST_YEAR``)."""
    from warehouse.attainment import SAME_PERIOD_LAST_YEAR, cumulative_of

    refs: list[tuple[str, str | None]] = []
    glob = measure.get("members") if isinstance(measure.get("members"), str) else None

    def add(indicator: str, member: str | None) -> None:
        for code in (indicator, cumulative_of(indicator), SAME_PERIOD_LAST_YEAR.get(indicator)):
            if code and (code, member) not in refs:
                refs.append((code, member))

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("indicator"), str):
                add(node["indicator"], node.get("member") or glob)
            for key, value in node.items():
                if key == "estimate_preference" and isinstance(value, list):
                    for code in value:
                        add(str(code), glob)
                elif isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(measure)
    return refs


def _reads(refs: list[tuple[str, str | None]], indicator: str, member: str) -> bool:
    return any(code == indicator and (pattern is None or fnmatch.fnmatchcase(member or "", pattern))
               for code, pattern in refs)


def _lineage(engine, load_ids: set[int]) -> pd.DataFrame:
    if not load_ids:
        return pd.DataFrame()
    query = sa.text("SELECT * FROM v_observations_lineage WHERE load_id IN :ids "
                    "ORDER BY load_id, indicator_code, period, member_code").bindparams(
        sa.bindparam("ids", expanding=True))
    with engine.connect() as conn:
        result = conn.execute(query, {"ids": sorted(load_ids)})
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _validations(engine, load_ids: set[int]) -> dict[int, dict]:
    """The latest stored validation of each load (its row of ``v_validation_results``, result parsed)."""
    if not load_ids:
        return {}
    query = sa.text("SELECT * FROM v_validation_results WHERE load_id IN :ids ORDER BY validation_id").bindparams(
        sa.bindparam("ids", expanding=True))
    out: dict[int, dict] = {}
    with engine.connect() as conn:
        for row in conn.execute(query, {"ids": sorted(load_ids)}).mappings():
            rec = dict(row)
            try:
                rec["result"] = json.loads(rec.get("result_json") or "{}")
            except ValueError:
                rec["result"] = {}
            out[int(rec["load_id"])] = rec
    return out


def _loads(engine, load_ids: set[int]) -> dict[int, dict]:
    if not load_ids:
        return {}
    query = sa.text("SELECT load_id, source_code, unit_code, period, status, file_name, finished_at, rows_loaded "
                    "FROM v_loads WHERE load_id IN :ids").bindparams(sa.bindparam("ids", expanding=True))
    with engine.connect() as conn:
        return {int(r["load_id"]): dict(r) for r in conn.execute(query, {"ids": sorted(load_ids)}).mappings()}


def _rules(source_code: str, unit_code: str, period: str, result: dict) -> tuple[list[dict], list[str]]:
    """Every rule of the source's suite with its outcome on this delivery, and the failures' cell lines
    in Vietnamese."""
    from expectations import messages
    from expectations.suites import build_suite

    failed = {f.get("rule_id"): f for f in result.get("failed") or []}
    skipped = set(result.get("skipped") or [])
    try:
        suite = build_suite(source_code, unit_code, period)
    except (KeyError, ValueError):
        suite = []
    rules = []
    for check in suite:
        outcome = "passed"
        if check.rule_id in failed:
            outcome = "error" if failed[check.rule_id].get("severity") == "error" else "warning"
        elif check.rule_id in skipped:
            outcome = "skipped"
        rules.append({"rule_id": check.rule_id, "description_vi": check.description_vi or check.rule_id,
                      "severity": check.severity, "outcome": outcome})
    findings = [vi for f in failed.values() for vi, _en in messages.failure_lines(f)]
    return rules, findings


def target_details(engine, attainment: pd.DataFrame, targets: pd.DataFrame) -> tuple[dict, set[int]]:
    """Per target code: ``plan_item``, ``measure_vi``, ``source_code``, ``measure_kind``, ``figures`` (the
    observations the judgement used, with their cell) and ``loads`` (the deliveries, with the rules that
    ran on them). Also returns every load id named."""
    from warehouse.attainment import MONEY_INDICATORS

    by_code = {str(t["target_code"]): t for t in targets.to_dict("records")} if not targets.empty else {}
    wanted: dict[str, set[tuple[int, str]]] = {}
    load_ids: set[int] = set()
    for rec in attainment.to_dict("records"):
        pairs = {(int(i["load_id"]), str(i["period"])) for i in rec.get("inputs") or []
                 if i.get("load_id") is not None}
        wanted[str(rec["target_code"])] = pairs
        load_ids |= {lid for lid, _ in pairs}
    lineage = _lineage(engine, load_ids)
    loads = _loads(engine, load_ids)
    validations = _validations(engine, load_ids)
    load_dicts: dict[int, dict] = {}
    for lid, load in loads.items():
        result = (validations.get(lid) or {}).get("result") or {}
        rules, findings = _rules(load["source_code"], load["unit_code"], load["period"], result)
        load_dicts[lid] = {"load_id": lid, "source_code": load["source_code"], "period": load["period"],
                           "file_name": load["file_name"], "loaded_at": load["finished_at"],
                           "status": load["status"], "rows_loaded": load["rows_loaded"],
                           "evaluated_count": (validations.get(lid) or {}).get("evaluated_count"),
                           "rules": rules, "findings_vi": findings,
                           "report_href": report_href(load["source_code"], load["period"], lid)
                           if lid in validations else None}
    rows = lineage.to_dict("records") if not lineage.empty else []
    details = {}
    for code, pairs in wanted.items():
        target = by_code.get(code) or {}
        measure = target.get("measure") if isinstance(target.get("measure"), dict) else {}
        refs = measure_references(measure)
        figures = []
        for obs in rows:
            if (int(obs["load_id"]), str(obs["period"])) not in pairs:
                continue
            if refs and not _reads(refs, str(obs["indicator_code"]), str(obs["member_code"] or "")):
                continue
            figures.append({**{k: obs.get(k) for k in (
                "indicator_code", "member_code", "period", "value", "numerator", "denominator", "text_value",
                "source_file", "sheet", "row_number", "column_name", "column_letter", "raw_text", "load_id")},
                "unit": "đồng" if obs["indicator_code"] in MONEY_INDICATORS else ""})
        order = {code: i for i, (code, _pattern) in enumerate(refs)}
        figures.sort(key=lambda f: (str(f["period"]), order.get(f["indicator_code"], len(order)),
                                    str(f["member_code"] or "")))
        used = sorted({f["load_id"] for f in figures} | {lid for lid, _ in pairs})
        plan_item = target.get("plan_item")
        details[code] = {"plan_item": None if missing(plan_item) else plan_item,
                         "measure_vi": target.get("measure_vi"), "source_code": target.get("source_code"),
                         "measure_kind": measure.get("kind"), "figures": figures,
                         "amount_unit": "đồng" if figures and all(f["unit"] == "đồng" for f in figures) else "",
                         "loads": [load_dicts[lid] for lid in used if lid in load_dicts]}
    return details, load_ids


def _month(period: str) -> str:
    return f"tháng {int(period[5:7])}/{period[:4]}"


def problem_sentence(failure: dict) -> str:
    """The first failing cell of a rule in plain Vietnamese ('dòng 14, cột G '…': gặp '3512.8', cần …'),
    else the rule's own words and what it found."""
    samples = failure.get("samples") or []
    if samples:
        sample = samples[0]
        if sample.get("message_vi") and not sample.get("expected_vi") and not sample.get("expected"):
            return str(sample["message_vi"])
        raw = sample.get("raw_text")
        if isinstance(raw, list | tuple):  # several values found (e.g. the sheets of a workbook)
            raw = ", ".join(str(v) for v in raw)
        found = "ô trống" if raw in (None, "") else f"'{raw}'"
        expected = sample.get("expected_vi") or sample.get("expected") or ""
        where = cell_vi(sample)  # no file: the strip names it
        return (f"{where}: " if where else "") + f"gặp {found}" + (f", cần {expected}" if expected else "")
    found, expected = failure.get("found_vi") or failure.get("found"), failure.get("expected_vi") or failure.get(
        "expected")
    text = failure.get("description_vi") or ""
    if found or expected:
        text += f" (gặp {found or '—'}; cần {expected or '—'})"
    return text


def source_summary(rec: dict, period: str, validation: dict | None) -> str:
    """One sentence on what became of the source's delivery of the month."""
    code = rec.get("source_code")
    doc = SOURCE_DOCUMENT_VI.get(code, f"Nguồn {code}")
    status = rec.get("status")
    file_name = rec.get("file_name")
    if status == "missing":
        return f"Chưa nhận được {doc.lower()} {_month(period)}."
    if status in ("loaded", "superseded"):
        rows = rec.get("rows_loaded")
        count = f", {int(rows):,} số liệu".replace(",", ".") if rows is not None and not missing(rows) else ""
        what = file_name or doc.lower()
        if isinstance(file_name, str) and file_name.startswith("api:"):
            what = "dữ liệu lấy qua API của hệ thống"
        return f"Đã nạp {what}{count}."
    result = (validation or {}).get("result") or {}
    errors = [f for f in result.get("failed") or [] if f.get("severity") == "error"]
    verb = "bị trả lại" if status == "quarantined" else "không nạp được"
    sentence = f"{doc} {_month(period)} {verb}"
    if errors:
        sentence += ": " + problem_sentence(errors[0])
        more = sum(int(f.get("unexpected_count") or len(f.get("samples") or []) or 1) for f in errors) - 1
        if more > 0:
            sentence += f" (và {more} lỗi khác)"
    else:
        sentence += f" (tệp {file_name})" if file_name else ""
    if rec.get("active_load_id") is not None and not missing(rec.get("active_load_id")):
        sentence += "; số liệu đang dùng là của bản nạp trước"
    return sentence + "."


def source_summaries(engine, sources: pd.DataFrame, period: str) -> tuple[list[dict], set[int]]:
    """The sources' rows with ``summary_vi`` and ``report_href`` added; and the load ids they link to."""
    rows = sources.to_dict("records")
    latest = {int(r["latest_load_id"]) for r in rows
              if r.get("latest_load_id") is not None and not missing(r.get("latest_load_id"))}
    validations = _validations(engine, latest)
    for rec in rows:
        lid = rec.get("latest_load_id")
        validation = None if lid is None or missing(lid) else validations.get(int(lid))
        rec["summary_vi"] = source_summary(rec, period, validation)
        rec["report_href"] = report_href(rec["source_code"], period, lid) if validation else None
    return rows, {lid for lid in latest if lid in validations}


def validation_pages(engine, load_ids: set[int], unit_name: str) -> dict[str, str]:
    """Relative path -> the validation report page of each load that has a stored validation."""
    import expectations
    from warehouse.alerts import names

    loads = _loads(engine, load_ids)
    pages = {}
    for lid, rec in _validations(engine, load_ids).items():
        load = loads.get(lid) or {}
        result = dict(rec.get("result") or {})
        _unit, source_name = names(engine, str(load.get("unit_code") or ""), load.get("source_code"))
        outcome = {"loaded": "đã nạp", "superseded": "đã nạp, sau đó được thay bằng bản mới hơn",
                   "quarantined": "bị cách ly, không nạp", "failed": "lỗi, không nạp"}.get(load.get("status"), "")
        pages[report_href(load["source_code"], load["period"], lid)] = expectations.render_report_html(
            result, unit_name=unit_name, source_name=source_name, file_name=load.get("file_name") or "",
            outcome=outcome)
    return pages
