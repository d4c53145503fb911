"""Expectations of the one-stop dossiers (API pull or export): one record per dossier, three rates.

Cross-field rules: dossiers received in the month = online + in person + by post (the DOSSIER_ONLINE
counts match the records), dossiers resolved in the month = early + on time + late (the DOSSIER_ON_TIME
counts match), a dossier ends after it was received, its due date is not before receipt. Period rules:
every dossier was received or finished in the month; no timestamp in the future.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expectations import messages
from expectations.checks import (
    Check,
    DeliveryContext,
    Finding,
    TableVerdict,
    between,
    dates_not_after,
    derived,
    figures,
    in_set,
    moments,
    no_unknown_columns,
    not_null,
    table_rule,
    unique,
)
from expectations.common import sum_findings
from expectations.messages import day

INDICATORS = ["DOSSIER_ONLINE", "DOSSIER_ON_TIME", "DOSSIER_FEE_ONLINE"]
REQUIRED = ["ma_ho_so", "kenh_thuc_hien", "ngay_tiep_nhan", "ngay_hen_tra", "ngay_ket_thuc_xu_ly",
            "ngay_tu_choi", "trang_thai_ho_so", "duoc_thanh_toan_truc_tuyen", "tong_phi_le_phi",
            "source_file", "sheet", "row_number"]
OPTIONAL = ["ma_tthc", "ten_tthc", "ma_linh_vuc", "muc_do", "ngay_tra", "raw_cells"]
# The one-stop office's monthly summary sheet (one row per field), when it is delivered instead.
SUMMARY = ["stt", "linh_vuc", "nhan_tong", "nhan_truc_tuyen", "nhan_truc_tiep_bcci", "nhan_ky_truoc",
           "da_gq_tong", "da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han", "dang_gq_tong",
           "dang_gq_trong_han", "dang_gq_qua_han"]
# The summary sheet's totals and their parts (Biểu 06: the connector checks them too when it reads one).
SUMMARY_SUMS = [
    ("received", "nhan_tong", ["nhan_truc_tuyen", "nhan_truc_tiep_bcci", "nhan_ky_truoc"],
     "Tổng tiếp nhận = trực tuyến + trực tiếp/bưu chính + kỳ trước chuyển sang",
     "Received = online + in person/by post + carried over"),
    ("resolved", "da_gq_tong", ["da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han"],
     "Đã giải quyết = trước hạn + đúng hạn + quá hạn", "Resolved = early + on time + late"),
    ("pending", "dang_gq_tong", ["dang_gq_trong_han", "dang_gq_qua_han"],
     "Đang giải quyết = trong hạn + quá hạn", "Pending = within deadline + overdue"),
]
CHANNELS = [1, 2, 3]  # trực tiếp, trực tuyến, bưu chính công ích
ONLINE = 2
STATUSES = ["4", "6", "7", "9", "10"]


def _in_month(values: pd.Series, ctx: DeliveryContext) -> pd.Series:
    ts = moments(values)
    return (ts >= ctx.period_start) & (ts <= ctx.period_end)


def _belongs_to_period(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    return (_in_month(rec["ngay_tiep_nhan"], ctx) | _in_month(rec["ngay_ket_thuc_xu_ly"], ctx)
            | _in_month(rec["ngay_tu_choi"], ctx))


def _explain_belongs_to_period(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
    month = f"{ctx.period[5:7]}/{ctx.period[:4]}"
    return [[Finding("ngay_tiep_nhan", f"a dossier received or finished in {month}",
                     f"hồ sơ tiếp nhận hoặc kết thúc xử lý trong tháng {month}")] for _ in positions]


def _ends_after_receipt(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    end = moments(rec["ngay_ket_thuc_xu_ly"])
    start = moments(rec["ngay_tiep_nhan"])
    return ~(end < start)


def _after_receipt(column: str, en: str, vi: str):
    """Explains a date before the dossier's reception: names that date and the reception date."""

    def explain(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
        received = moments(ctx.records["ngay_tiep_nhan"].iloc[positions])
        return [[Finding(column, f"{en}, {day(r)}", f"{vi}, {day(r)}")] for r in received]

    return explain


def _due_after_receipt(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    due = moments(rec["ngay_hen_tra"]).dt.normalize()
    start = moments(rec["ngay_tiep_nhan"]).dt.normalize()
    return ~(due < start)


def _count(obs: pd.DataFrame, indicator: str) -> tuple[float | None, float | None]:
    rows = obs[obs["indicator_code"] == indicator]
    if rows.empty:
        return None, None
    return float(rows["numerator"].iloc[0]), float(rows["denominator"].iloc[0])


def _channels(ctx: DeliveryContext) -> tuple[int, dict[int, int]]:
    """Dossiers received in the month, and how many by each channel, counted from the records."""
    rec = ctx.records
    received = _in_month(rec["ngay_tiep_nhan"], ctx).to_numpy()
    channel = figures(rec["kenh_thuc_hien"])
    return int(received.sum()), {c: int((received & (channel == c)).sum()) for c in CHANNELS}


def _received_adds_up(ctx: DeliveryContext) -> pd.Series:
    """received = online + in person + by post, as counted from the records."""
    obs = ctx.observations
    out = pd.Series(True, index=obs.index)
    received, by_channel = _channels(ctx)
    num, den = _count(obs, "DOSSIER_ONLINE")
    if den is not None and (den != sum(by_channel.values()) or num != by_channel[ONLINE] or den != received):
        out[obs["indicator_code"] == "DOSSIER_ONLINE"] = False
    return out


def _explain_received_adds_up(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
    received, by = _channels(ctx)
    num, den = _count(ctx.observations, "DOSSIER_ONLINE")
    counts_en = f"online {by[2]}, in person {by[1]}, by post {by[3]}"
    counts_vi = f"trực tuyến {by[2]}, trực tiếp {by[1]}, bưu chính {by[3]}"
    found = f"DOSSIER_ONLINE {messages.display(num)}/{messages.display(den)}"
    return [[Finding("denominator", f"the dossier list's counts: {by[2]} online of {received} received "
                     f"({counts_en})", f"khớp danh sách hồ sơ: {by[2]} trực tuyến trên {received} hồ sơ "
                     f"tiếp nhận ({counts_vi})", found=found, header="")] for _ in positions]


def _resolution(ctx: DeliveryContext) -> tuple[int, int, int]:
    """Dossiers resolved in the month early, on time and late, counted from the records."""
    rec = ctx.records
    finished = _in_month(rec["ngay_ket_thuc_xu_ly"], ctx) & rec["ngay_tu_choi"].isna()
    end = moments(rec["ngay_ket_thuc_xu_ly"]).dt.normalize()
    due = moments(rec["ngay_hen_tra"]).dt.normalize()
    early = int((finished & (end < due)).sum())
    on_time = int((finished & (end == due)).sum())
    late = int((finished & ~(end <= due)).sum())
    return early, on_time, late


def _resolved_adds_up(ctx: DeliveryContext) -> pd.Series:
    """resolved = early + on time + late, as counted from the records; on time counts early + on time."""
    obs = ctx.observations
    out = pd.Series(True, index=obs.index)
    early, on_time, late = _resolution(ctx)
    num, den = _count(obs, "DOSSIER_ON_TIME")
    if den is not None and (den != early + on_time + late or num != early + on_time):
        out[obs["indicator_code"] == "DOSSIER_ON_TIME"] = False
    return out


def _explain_resolved_adds_up(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
    early, on_time, late = _resolution(ctx)
    num, den = _count(ctx.observations, "DOSSIER_ON_TIME")
    found = f"DOSSIER_ON_TIME {messages.display(num)}/{messages.display(den)}"
    total = early + on_time + late
    return [[Finding("denominator", f"the dossier list's counts: {early + on_time} on time of {total} resolved "
                     f"(early {early}, on time {on_time}, late {late})",
                     f"khớp danh sách hồ sơ: {early + on_time} đúng hạn trên {total} hồ sơ đã giải quyết "
                     f"(trước hạn {early}, đúng hạn {on_time}, quá hạn {late})", found=found, header="")]
            for _ in positions]


def _sum_rule(total: str, parts: list[str]):
    def fn(ctx: DeliveryContext) -> pd.Series:
        rec = ctx.records
        value = figures(rec[total])
        summed = sum(np.nan_to_num(figures(rec[p])) for p in parts)
        with np.errstate(invalid="ignore"):
            breaks = ~np.isnan(value) & (np.abs(value - summed) > 1e-9)
        return pd.Series(~breaks, index=rec.index)
    return fn


def _explain_sum(total: str, parts: list[str]):
    """The total's cell, the parts' sum and the gap (counts of dossiers)."""

    def explain(ctx: DeliveryContext, positions: np.ndarray) -> list[list[Finding]]:
        rec = ctx.records.iloc[positions]
        values = figures(rec[total])
        summed = sum(np.nan_to_num(figures(rec[p])) for p in parts)
        return [sum_findings(np.array([v]), np.array([s]), [total], 1e-9, parts_vi="tổng các cột thành phần")
                for v, s in zip(values, summed, strict=True)]

    return explain


def _columns_present(ctx: DeliveryContext) -> TableVerdict:
    cols = set(ctx.records.columns)
    if "nhan_tong" in cols:  # the summary sheet
        missing = [c for c in ("nhan_tong", "nhan_truc_tuyen", "da_gq_tong", "source_file", "row_number")
                   if c not in cols]
    else:
        missing = [c for c in REQUIRED if c not in cols]
    return TableVerdict(not missing, found=f"missing {missing}" if missing else "all present",
                        expected=f"fields {REQUIRED} (dossier list) or the summary sheet's columns")


def checks() -> list[Check]:
    """The public-service dataset's rules."""
    return [
        table_rule("public_service.columns_present", _columns_present,
                   "Dữ liệu hồ sơ (hoặc biểu tổng hợp) có đủ các trường bắt buộc",
                   "Dossiers (or the summary sheet) have every required field"),
        no_unknown_columns("public_service.no_unknown_columns", "records", REQUIRED + OPTIONAL + SUMMARY,
                           "Dữ liệu hồ sơ không có trường lạ", "Dossiers have no unknown field"),
        not_null("public_service.id_not_null", "ma_ho_so", "Mỗi hồ sơ có mã hồ sơ", "Every dossier has an id"),
        unique("public_service.id_unique", ["ma_ho_so"], "Không trùng mã hồ sơ", "No duplicate dossier id"),
        not_null("public_service.received_not_null", "ngay_tiep_nhan", "Mỗi hồ sơ có ngày tiếp nhận",
                 "Every dossier has a reception date"),
        in_set("public_service.channel_known", "kenh_thuc_hien", CHANNELS,
               "Kênh thực hiện là 1 (trực tiếp), 2 (trực tuyến) hoặc 3 (bưu chính)",
               "Channel is 1 (in person), 2 (online) or 3 (by post)"),
        in_set("public_service.status_known", "trang_thai_ho_so", STATUSES,
               "Trạng thái hồ sơ thuộc danh mục (4, 6, 7, 9, 10)",
               "Dossier status is a known code (4, 6, 7, 9, 10)", severity="warning"),
        between("public_service.fee_not_negative", "tong_phi_le_phi", 0, None, "Phí, lệ phí không âm",
                "Fees are not negative"),
        derived("public_service.ends_after_receipt", _ends_after_receipt,
                "Ngày kết thúc xử lý không trước ngày tiếp nhận",
                "Processing does not end before the dossier was received", column="ngay_ket_thuc_xu_ly",
                explain=_after_receipt("ngay_ket_thuc_xu_ly", "a time not before the reception",
                                       "thời điểm không trước lúc tiếp nhận")),
        derived("public_service.due_after_receipt", _due_after_receipt,
                "Ngày hẹn trả không trước ngày tiếp nhận", "The due date is not before reception",
                column="ngay_hen_tra",
                explain=_after_receipt("ngay_hen_tra", "a date not before the reception",
                                       "ngày không trước ngày tiếp nhận")),
        derived("public_service.belongs_to_period", _belongs_to_period,
                "Hồ sơ được tiếp nhận hoặc kết thúc trong kỳ báo cáo",
                "Each dossier was received or finished in the delivery's month", column="ngay_tiep_nhan",
                explain=_explain_belongs_to_period),
        dates_not_after("public_service.received_not_future", "ngay_tiep_nhan", "period_end",
                        "Ngày tiếp nhận không sau kỳ báo cáo", "No reception date after the month"),
        *[dates_not_after(f"public_service.{col}_not_future", col, "today",
                          f"Không có ngày trong tương lai ({col})", f"No date in the future ({col})")
          for col in ("ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_tu_choi")],
        derived("public_service.received_adds_up", _received_adds_up,
                "Số hồ sơ tiếp nhận = trực tuyến + trực tiếp + bưu chính (khớp với danh sách hồ sơ)",
                "Received = online + in person + by post (matches the dossier list)",
                frame="observations", column="denominator", explain=_explain_received_adds_up),
        derived("public_service.resolved_adds_up", _resolved_adds_up,
                "Số hồ sơ đã giải quyết = trước hạn + đúng hạn + quá hạn (khớp với danh sách hồ sơ)",
                "Resolved = early + on time + late (matches the dossier list)",
                frame="observations", column="denominator", explain=_explain_resolved_adds_up),
        # Summary sheet rows (skipped for dossier lists, which have no such columns).
        *[derived(f"public_service.summary_{name}_adds_up", _sum_rule(total, parts), vi, en, column=total,
                  explain=_explain_sum(total, parts)) for name, total, parts, vi, en in SUMMARY_SUMS],
    ]
