"""Expected members against the last accepted delivery (issue 16): a complete delivery keeps every member
its source's last accepted delivery had, unless it says why the member is gone.

- tax: every revenue line of the last accepted report (`member_code`);
- health: every station of the last accepted criteria sheet (`ma_tram`);
- education: every school of the last accepted register (`ma_truong`), unless the new register marks it
  closed (`Trạng thái`: giải thể, sáp nhập, ngừng hoạt động, đóng cửa).

The last accepted delivery is the latest earlier month in the history the flow reads from the warehouse
(active loads only). The indicators workbook is checked row by row against its layout by the connector;
dossier exports against their month's counts (flows: suspicious drops are held). Rows in the history
carried by a later delivery (`load_period` after their period) do not count as that month's delivery.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from expectations.checks import Check, DeliveryContext, TableVerdict, table_rule

# source -> (indicators whose members are the delivery's members, the records' member column)
MEMBERS = {
    "tax": (["REV_MONTH", "REV_YTD", "REV_PRIOR_YTD", "REV_ESTIMATE_STATE", "REV_ESTIMATE_COUNCIL"],
            "member_code"),
    "health": (["HEALTH_STATION_STANDARD"], "ma_tram"),
    "education": (["SCHOOL_STANDARD"], "ma_truong"),
}
_CLOSED = re.compile(r"giai the|sap nhap|ngung hoat dong|dong cua|da dong|cham dut")
MAX_LISTED = 20


def _fold(text: object) -> str:
    text = unicodedata.normalize("NFD", str(text or "").casefold())
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn").replace("đ", "d")


def _last_accepted(history: pd.DataFrame, indicators: list[str], period: str) -> tuple[str | None, pd.DataFrame]:
    """(its month, its rows): the latest earlier month delivered in its own right."""
    if history.empty:
        return None, history
    rows = history[history["indicator_code"].isin(indicators) & (history["period"] < period)]
    if "load_period" in rows.columns:
        own = rows["load_period"].isna() | (rows["load_period"] == rows["period"])
        rows = rows[own]
    if rows.empty:
        return None, rows
    last = rows["period"].max()
    return last, rows[rows["period"] == last]


def _members_kept(source: str):
    indicators, column = MEMBERS[source]

    def fn(ctx: DeliveryContext) -> TableVerdict:
        last, rows = _last_accepted(ctx.history, indicators, ctx.period)
        rec = ctx.records
        if last is None or column not in rec.columns:
            return TableVerdict(True)
        present = {str(x).strip() for x in rec[column].dropna()}
        if "trang_thai" in rec.columns:
            closed = {str(code).strip() for code, state in zip(rec[column], rec["trang_thai"], strict=True)
                      if _CLOSED.search(_fold(state))}
        else:
            closed = set()
        earlier = sorted({str(x).strip() for x in rows["member_code"].dropna() if str(x).strip()})
        missing = [m for m in earlier if m not in present and m not in closed]
        if not missing:
            return TableVerdict(True)
        files = sorted({str(f) for f in rows.get("source_file", pd.Series(dtype=object)).dropna()})
        listed = ", ".join(missing[:MAX_LISTED]) + (f" … (+{len(missing) - MAX_LISTED})" if len(missing) > MAX_LISTED
                                                    else "")
        source_file = f" ({', '.join(files)})" if files else ""
        month = f"{last[5:]}/{last[:4]}"
        return TableVerdict(
            False,
            found=f"{len(missing)} member(s) of the {month} delivery{source_file} missing: {listed}",
            expected="every member of the last accepted delivery, or one marked closed in the new one",
            found_vi=f"thiếu {len(missing)} thành phần có trong lần giao nộp tháng {month}{source_file}: {listed}",
            expected_vi="đủ các thành phần của lần giao nộp được chấp nhận gần nhất, hoặc ghi rõ đã giải thể/"
                        "sáp nhập trong lần giao nộp mới")

    return fn


def checks(source: str) -> list[Check]:
    """The member rule of `source` (none for sources checked elsewhere)."""
    if source not in MEMBERS:
        return []
    return [table_rule("history.members_kept", _members_kept(source),
                       "Đủ các thành phần của lần giao nộp trước (khoản thu, trạm, trường), trừ khi ghi rõ đã "
                       "giải thể/sáp nhập",
                       "Every member of the last accepted delivery is still there (revenue lines, stations, "
                       "schools), unless marked closed")]
