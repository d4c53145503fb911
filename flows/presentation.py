"""How people read the results: Vietnamese number formats, status labels, the attainment table.

Numbers are shown the Vietnamese way (thousands ".", decimals ","; 1.234,5) and dates dd/mm/yyyy;
identifiers and JSON stay English.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import unicodedata
from zoneinfo import ZoneInfo

import pandas as pd

# One vocabulary for every place people read results: the reports package owns it.
from reports.vn import (  # noqa: F401
    OUTLOOK_VI,
    STATUS_VI,
    format_number,
    missing,
    neutralise_formula,
    no_data_reason,
    outlook_label,
    stt_of,
)

# Vietnamese words for a source's state in a close (SourceOutcome.status), where people read.
SOURCE_STATUS_VI = {"loaded": "đã nạp", "replaced": "nạp thay thế", "unchanged": "không đổi", "missing": "chưa có",
                    "quarantined": "cách ly", "failed": "lỗi"}


def count_vi(n: int) -> str:
    """A count with Vietnamese thousands dots: 3.321."""
    return f"{n:,}".replace(",", ".")


COMPARISON_VI = {
    "band": "từ {low} đến {high}",
    "at_least": "≥ {low}",
    "strictly_above": "> {low}",
    "strictly_below": "< {high}",
    "all": "= 100",
    "qualitative": "giữ vững",
}

ATTAINMENT_FIELDS = ["target_code", "unit_code", "period", "value", "numerator", "denominator",
                     "bound_low", "bound_high", "comparison", "status", "inputs", "detail",
                     "outlook_value", "outlook_status", "outlook_method", "gap_value", "gap_text"]


_missing = missing


def format_bound(comparison: str, low, high) -> str:
    """The target's threshold in words, e.g. 'từ 8 đến 10'."""
    template = COMPARISON_VI.get(comparison, comparison)
    return template.format(low=format_number(low, 1).removesuffix(",0"),
                           high=format_number(high, 1).removesuffix(",0"))


def _width(text: str) -> int:
    # Vietnamese text in NFC has no combining marks, but be safe with NFD input.
    return sum(1 for ch in unicodedata.normalize("NFC", text) if not unicodedata.combining(ch))


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def attainment_table(attainment: pd.DataFrame, name_width: int = 48) -> str:
    """A plain-text table of the attainment of every target, Vietnamese labels and numbers."""
    header = ["Mã", "Chỉ tiêu", "Kết quả", "Tử số / Mẫu số", "Ngưỡng", "Đánh giá", "Dự báo cả năm"]
    rows = []
    for rec in attainment.sort_values("target_code").to_dict("records"):
        name = rec.get("name_vi") or ""
        if _width(name) > name_width:
            name = name[: name_width - 1] + "…"
        decimals = 0 if rec["comparison"] == "qualitative" or rec.get("display_unit") == "lượt" else 2
        value = format_number(rec["value"], decimals)
        if rec["comparison"] == "qualitative" and not _missing(rec["value"]):
            value = "Giữ vững" if float(rec["value"]) >= 1 else "Không giữ vững"
        ratio = ""
        if not _missing(rec["numerator"]) and not _missing(rec["denominator"]):
            ratio = f"{format_number(rec['numerator'], 0)} / {format_number(rec['denominator'], 0)}"
        rows.append([rec["target_code"], name, value, ratio,
                     format_bound(rec["comparison"], rec["bound_low"], rec["bound_high"]),
                     STATUS_VI.get(rec["status"], rec["status"]), outlook_cell(rec, decimals)])
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "-+-".join("-" * w for w in widths)
    out = [" | ".join(_pad(h, w) for h, w in zip(header, widths, strict=False)), line]
    out += [" | ".join(_pad(str(c), w) for c, w in zip(r, widths, strict=False)) for r in rows]
    reasons = [(rec["target_code"], no_data_reason(rec) or _text(rec.get("detail")))
               for rec in attainment.sort_values("target_code").to_dict("records") if rec.get("status") == "no_data"]
    if reasons:
        # why a target has no judgement (the missing months, the missing source …), one line each
        out += ["", "Chưa có số liệu (lý do):"] + [f"  {code}: {reason}" for code, reason in reasons]
    return "\n".join(out)


def _text(value) -> str:
    return "" if _missing(value) else str(value)


def outlook_cell(rec: dict, decimals: int = 2) -> str:
    """'Dự kiến đạt (111.828)': the outlook status in words and the projected figure ('' when absent)."""
    status = rec.get("outlook_status")
    if _missing(status) or not status:
        return ""
    label = outlook_label(status, rec.get("period"))
    value = rec.get("outlook_value")
    if rec.get("comparison") == "qualitative" or _missing(value):
        return label
    return f"{label} ({format_number(value, decimals)})"


def _json_value(value):
    if _missing(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def attainment_records(attainment: pd.DataFrame) -> list[dict]:
    """The attainment as JSON-ready dicts with the stable field names of the CLI contract."""
    records = []
    for rec in attainment.sort_values("target_code").to_dict("records"):
        records.append({k: _json_value(rec.get(k)) if k != "inputs" else rec.get("inputs") or []
                        for k in ATTAINMENT_FIELDS})
    return records


def attainment_json(attainment: pd.DataFrame) -> str:
    """The attainment as a JSON list (the `thidua attainment --format json` contract)."""
    return json.dumps(attainment_records(attainment), ensure_ascii=False, indent=2)


def attainment_csv(attainment: pd.DataFrame) -> str:
    """The attainment as CSV (UTF-8), inputs as JSON text, formula-like text neutralised."""
    frame = pd.DataFrame(attainment_records(attainment), columns=ATTAINMENT_FIELDS)
    frame["inputs"] = frame["inputs"].map(lambda v: json.dumps(v, ensure_ascii=False))
    # Text must never run as a formula in a spreadsheet: every text cell, whatever its column (codes and
    # notes come from the catalogue and the sources); numbers, negative ones too, stay numbers.
    frame = frame.apply(lambda column: column.map(neutralise_formula))
    return frame.to_csv(index=False)


# --------------------------------------------------------------------------- the council report: its sources
#
# What the printed report says of the month's sources (a delivery quarantined or not delivered, and what
# the report shows instead), and the figures behind each judgement down to the cell (the second sheet).
# Pure functions over frames the caller read from the warehouse (flows.cli_reports.build_report).

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOTICE_STATUSES = ("quarantined", "failed", "missing")


def _month_words(period: str) -> str:
    return f"tháng {int(period[5:7])}/{period[:4]}"


def _local_date(moment) -> str:
    if _missing(moment) or moment is None:
        return ""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if isinstance(moment, pd.Timestamp):
        moment = moment.to_pydatetime()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # the warehouse stores UTC
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y")


def source_notices(sources: pd.DataFrame, attainment: pd.DataFrame, targets: pd.DataFrame, period: str,
                   source_names: dict[str, str]) -> list[str]:
    """One sentence per source of the month that was quarantined, failed or not delivered and that a target
    of the plan reads, saying what happened and what the report shows meanwhile, e.g.
    ``Báo cáo thu NSNN … tháng 12/2025 bị trả lại ngày 05/01/2026; chỉ tiêu 1a, 1b tính theo số liệu đến
    tháng 11/2025, chờ báo cáo gửi lại.``

    Args:
        sources: the month's source status (``warehouse.views.read_source_status``).
        attainment: the judgements shown (their ``inputs`` lineage says which month each source gave).
        targets: the plan's targets with ``target_code`` and ``source_code``.
        period: the month reported, ``YYYY-MM``.
        source_names: source code -> its Vietnamese name (the catalogue's sources).
    """
    by_source: dict[str, list[str]] = {}
    for rec in targets.to_dict("records"):
        by_source.setdefault(str(rec.get("source_code")), []).append(str(rec["target_code"]))
    inputs = {str(rec["target_code"]): rec.get("inputs") or [] for rec in attainment.to_dict("records")}
    notices = []
    for rec in sources.to_dict("records"):
        code, status = str(rec["source_code"]), rec.get("status")
        affected = sorted(c for c in by_source.get(code, []) if c in inputs)
        if status not in NOTICE_STATUSES or not affected:
            continue
        name = source_names.get(code) or SOURCE_NAME_FALLBACK.get(code, code)
        month = _month_words(period)
        if status == "missing":
            head, waiting = f"{name} {month}: chưa nhận được", "chờ nguồn gửi đến"
        else:
            returned = _local_date(rec.get("finished_at"))
            head = f"{name} {month} bị trả lại" + (f" ngày {returned}" if returned else "")
            waiting = "chờ báo cáo gửi lại"
        used = sorted({str(i.get("period")) for c in affected for i in inputs[c]
                       if i.get("source") == code and i.get("period")})
        listed = ", ".join(stt_of(c) for c in affected)
        if used and used[-1] >= period:
            what = f"chỉ tiêu {listed} dùng báo cáo {month} đã nhận trước đó"
        elif used:
            what = f"chỉ tiêu {listed} tính theo số liệu đến {_month_words(used[-1])}"
        else:
            what = f"chỉ tiêu {listed} chưa có số liệu"
        notices.append(f"{head}; {what}, {waiting}.")
    return notices


# the sources' names when the warehouse has none (the catalogue loads them)
SOURCE_NAME_FALLBACK = {"tax": "Báo cáo thu ngân sách (Thuế cơ sở)", "public_service": "Hồ sơ thủ tục hành chính",
                        "health": "Báo cáo y tế", "education": "Danh sách trường học",
                        "indicators": "Biểu chỉ tiêu kinh tế - xã hội khác"}


def measure_figures(measure) -> list[tuple[str, str | None, str | None]]:
    """The figures a target's measure reads: (indicator, member or None, member pattern or None), from
    its ``indicator`` fields and ``estimate_preference`` lists, with the ``member``/``members`` in force."""
    if isinstance(measure, str):
        measure = json.loads(measure)
    found: list[tuple[str, str | None, str | None]] = []

    def walk(node, member, pattern):
        if isinstance(node, dict):
            member = node.get("member", member)
            pattern = node.get("members", pattern)
            if node.get("kind") == "ratio":  # a share of the members (schools, stations): every member counts
                member, pattern = None, None
            if isinstance(node.get("indicator"), str):
                found.append((node["indicator"], member, pattern))
            for key, value in node.items():
                if key.endswith("_preference") and isinstance(value, list):
                    found.extend((v, member, pattern) for v in value if isinstance(v, str))
                else:
                    walk(value, member, pattern)
        elif isinstance(node, list):
            for value in node:
                walk(value, member, pattern)

    walk(measure or {}, None, None)
    return list(dict.fromkeys(found))


def figures_used(attainment: pd.DataFrame, targets: pd.DataFrame, observations: pd.DataFrame) -> list[dict]:
    """Every figure behind each judgement: the observations of the loads and months in its ``inputs``
    lineage, of the indicators (and members) its measure reads, one dict per (target, figure).

    Args:
        attainment: the judgements (``target_code``, ``name_vi``, ``inputs``).
        targets: the plan's targets (``target_code``, ``plan_item``, ``measure``).
        observations: the observations of the loads named in the inputs (``load_id``, ``indicator_code``,
            ``period``, ``member_code``, ``value``, ``raw_text``, ``source_file``, ``sheet``, ``row_number``,
            ``column_name``, ``column_letter`` (may be absent); ``file_name`` of the load as the file when
            ``source_file`` is empty).
    """
    measures = {str(r["target_code"]): r for r in targets.to_dict("records")}
    by_load: dict[tuple[int, str], list[dict]] = {}
    for obs in observations.to_dict("records"):
        by_load.setdefault((int(obs["load_id"]), str(obs["period"])), []).append(obs)
    out = []
    for rec in attainment.sort_values("target_code").to_dict("records"):
        code = str(rec["target_code"])
        target = measures.get(code, {})
        wanted = measure_figures(target.get("measure") or target.get("measure_json"))
        for item in rec.get("inputs") or []:
            if item.get("load_id") is None or _missing(item.get("load_id")):
                continue
            for obs in by_load.get((int(item["load_id"]), str(item.get("period"))), []):
                member = str(obs.get("member_code") or "")
                if not any(obs["indicator_code"] == ind and (m is None or member == m)
                           and (p is None or fnmatch.fnmatchcase(member, p)) for ind, m, p in wanted):
                    continue
                source_file = obs.get("source_file")
                if _missing(source_file) or not source_file:
                    source_file = obs.get("file_name")
                out.append({"target_code": code, "plan_item": target.get("plan_item"), "name_vi": rec.get("name_vi"),
                            "indicator_code": obs["indicator_code"], "member_code": member,
                            "period": str(obs["period"]), "raw_text": _json_value(obs.get("raw_text")),
                            "value": _json_value(obs.get("value")), "source_file": _json_value(source_file),
                            "sheet": _json_value(obs.get("sheet")), "row_number": _json_value(obs.get("row_number")),
                            "column_name": _json_value(obs.get("column_name")),
                            "column_letter": _json_value(obs.get("column_letter")), "load_id": int(obs["load_id"])})
    return out
