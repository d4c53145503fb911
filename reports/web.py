"""What the dashboard and the target pages share: status colours and the order of attention, numbers with
their units, Vietnam time, the pages' base stylesheet and security policy.

Every number people read carries its unit ("8,96 %", "94.000 lượt"); times are Vietnam's
(Asia/Ho_Chi_Minh), written dd/mm/yyyy HH:MM. A status this module does not know (a newer vocabulary, e.g.
``needs_review`` for a target of an imported plan nobody tracks yet) is shown with its Vietnamese label
from ``reports.vn.STATUS_VI`` in grey, in the "no data" group: it needs attention, it never vanishes.
"""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

from reports.vn import STATUS_VI, format_number, missing, plan_text, value_decimals

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

STATUS_COLOURS = {
    "met": "#2e7d32",
    "exceeded": "#1565c0",
    "on_track": "#00897b",
    "behind": "#ef6c00",
    "not_met": "#c62828",
    "no_data": "#757575",
}
UNKNOWN_COLOUR = "#616161"
# what needs action first; a status not listed joins the "no data" group
ATTENTION_ORDER = ("not_met", "behind", "no_data", "on_track", "met", "exceeded")
NO_DATA_GROUP = "no_data"

# nothing may be fetched: the pages are self-contained
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

BASE_CSS = """
*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
body{font-family:"Segoe UI",Roboto,Arial,sans-serif;margin:0;background:#f4f5f7;color:#222;line-height:1.4}
header{background:#8b0000;color:#fff;padding:14px 20px}header h1{margin:0;font-size:19px}
header p{margin:4px 0 0;font-size:14px;opacity:.92}header a{color:#fff}main{padding:12px 20px;max-width:1500px}
h2{font-size:16px;margin:18px 0 8px}a{color:#0b57a4}
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 9px;font-size:12px;margin-right:4px}
.num{white-space:nowrap}svg.chart{display:block;width:100%;max-width:520px;height:auto;margin-top:6px}
footer{font-size:12px;color:#555;padding:12px 20px}
@media (max-width:600px){header{padding:12px 14px}main{padding:10px 12px}header h1{font-size:17px}}
"""


def esc(text) -> str:
    """HTML-escaped text ('' for None)."""
    return html.escape("" if text is None else str(text), quote=True)


def records(rows) -> list[dict]:
    """Plain dicts from rows given as dicts or a DataFrame."""
    if rows is None:
        return []
    if hasattr(rows, "to_dict"):
        rows = rows.to_dict("records")
    return [dict(r) for r in rows]


def status_colour(status: str | None) -> str:
    """The status's colour (grey for a status this module does not know)."""
    return STATUS_COLOURS.get(status or "no_data", UNKNOWN_COLOUR)


def status_label(status: str | None) -> str:
    """The status in Vietnamese (``reports.vn.STATUS_VI``; the code itself when it has no label)."""
    status = status or "no_data"
    return STATUS_VI.get(status, status)


def attention_group(status: str | None) -> str:
    """The group a status is listed in on the dashboard (an unknown status: the no-data group)."""
    status = status or "no_data"
    return status if status in ATTENTION_ORDER else NO_DATA_GROUP


def attention_rank(status: str | None) -> int:
    """The status's place in the order of attention (0: not met first)."""
    return ATTENTION_ORDER.index(attention_group(status))


def with_unit(value, unit: str | None, decimals: int | None = None) -> str:
    """'8,96 %', '94.000 lượt', '1.234,5' (no unit); '' for a missing value."""
    if missing(value):
        return ""
    unit = unit or ""
    number = format_number(value, value_decimals(unit) if decimals is None else decimals)
    return f"{number} {unit}" if unit else number


def value_text(rec: dict) -> str:
    """A judged result as people read it: the number with its unit, 'Giữ vững' for an assessment."""
    value = rec.get("value")
    if missing(value):
        return "—"
    if rec.get("comparison") == "qualitative":
        return "Giữ vững" if float(value) >= 1 else "Không giữ vững"
    return with_unit(value, rec.get("display_unit"))


def plan_with_unit(rec: dict) -> str:
    """The plan's bound with its unit: '≥ 100.000 lượt', 'từ 8 đến 10 %', '100 %', 'Giữ vững'."""
    comparison = rec.get("comparison")
    text = plan_text(comparison, rec.get("bound_low"), rec.get("bound_high"))
    unit = rec.get("display_unit") or ""
    if comparison == "qualitative" or not unit:
        return text
    return f"{text} {unit}"


def ratio_text(rec: dict) -> str:
    """'55.970 / 56.251' when the result has a numerator and a denominator ('' otherwise)."""
    num, den = rec.get("numerator"), rec.get("denominator")
    if missing(num) or missing(den) or rec.get("comparison") == "qualitative":
        return ""
    decimals = 0 if float(num).is_integer() and float(den).is_integer() else 1
    return f"{format_number(num, decimals)} / {format_number(den, decimals)}"


def vn_time(moment) -> str:
    """dd/mm/yyyy HH:MM in Vietnam's time ('' for None); a naive datetime is taken as UTC."""
    if missing(moment):
        return ""
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if hasattr(moment, "to_pydatetime"):
        moment = moment.to_pydatetime()
    if not isinstance(moment, dt.datetime):
        return moment.strftime("%d/%m/%Y")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")


def month_of(period: str) -> int:
    """'2025-10' -> 10."""
    return int(str(period)[5:7])


def page(title: str, css: str, body: str, script: str = "") -> str:
    """A whole self-contained page (Vietnamese, phone-ready viewport, nothing fetched)."""
    tail = f"<script>{script}</script>\n" if script else ""
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<link rel="icon" href="data:,">
<title>{esc(title)}</title>
<style>{BASE_CSS}{css}</style>
</head>
<body>
{body}
{tail}</body>
</html>
"""
