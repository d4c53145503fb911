"""Expectations of the one-stop dossiers (API pull or export): one record per dossier, three rates.

Cross-field rules: dossiers received in the month = online + in person + by post (the DOSSIER_ONLINE
counts match the records), dossiers resolved in the month = early + on time + late (the DOSSIER_ON_TIME
counts match), a dossier ends after it was received, its due date is not before receipt. Period rules:
every dossier was received or finished in the month; no timestamp in the future.
"""

from __future__ import annotations

import pandas as pd

from expectations.checks import (
    Check,
    DeliveryContext,
    TableVerdict,
    between,
    dates_not_after,
    derived,
    in_set,
    no_unknown_columns,
    not_null,
    table_rule,
    unique,
)

INDICATORS = ["DOSSIER_ONLINE", "DOSSIER_ON_TIME", "DOSSIER_FEE_ONLINE"]
REQUIRED = ["ma_ho_so", "kenh_thuc_hien", "ngay_tiep_nhan", "ngay_hen_tra", "ngay_ket_thuc_xu_ly",
            "ngay_tu_choi", "trang_thai_ho_so", "duoc_thanh_toan_truc_tuyen", "tong_phi_le_phi",
            "source_file", "sheet", "row_number"]
OPTIONAL = ["ma_tthc", "ten_tthc", "ma_linh_vuc", "muc_do", "ngay_tra", "raw_cells"]
# The one-stop office's monthly summary sheet (one row per field), when it is delivered instead.
SUMMARY = ["stt", "linh_vuc", "nhan_tong", "nhan_truc_tuyen", "nhan_truc_tiep_bcci", "nhan_ky_truoc",
           "da_gq_tong", "da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han", "dang_gq_tong",
           "dang_gq_trong_han", "dang_gq_qua_han"]
CHANNELS = [1, 2, 3]  # trực tiếp, trực tuyến, bưu chính công ích
ONLINE = 2
STATUSES = ["4", "6", "7", "9", "10"]


def _in_month(values: pd.Series, ctx: DeliveryContext) -> pd.Series:
    ts = pd.to_datetime(values, errors="coerce")
    return (ts >= ctx.period_start) & (ts <= ctx.period_end)


def _belongs_to_period(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    return (_in_month(rec["ngay_tiep_nhan"], ctx) | _in_month(rec["ngay_ket_thuc_xu_ly"], ctx)
            | _in_month(rec["ngay_tu_choi"], ctx))


def _ends_after_receipt(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    end = pd.to_datetime(rec["ngay_ket_thuc_xu_ly"], errors="coerce")
    start = pd.to_datetime(rec["ngay_tiep_nhan"], errors="coerce")
    return ~(end < start)


def _due_after_receipt(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    due = pd.to_datetime(rec["ngay_hen_tra"], errors="coerce").dt.normalize()
    start = pd.to_datetime(rec["ngay_tiep_nhan"], errors="coerce").dt.normalize()
    return ~(due < start)


def _count(obs: pd.DataFrame, indicator: str) -> tuple[float | None, float | None]:
    rows = obs[obs["indicator_code"] == indicator]
    if rows.empty:
        return None, None
    return float(rows["numerator"].iloc[0]), float(rows["denominator"].iloc[0])


def _received_adds_up(ctx: DeliveryContext) -> pd.Series:
    """received = online + in person + by post, as counted from the records."""
    obs, rec = ctx.observations, ctx.records
    out = pd.Series(True, index=obs.index)
    received = _in_month(rec["ngay_tiep_nhan"], ctx)
    channel = pd.to_numeric(rec["kenh_thuc_hien"], errors="coerce")
    by_channel = {c: int((received & (channel == c)).sum()) for c in CHANNELS}
    num, den = _count(obs, "DOSSIER_ONLINE")
    if den is not None and (den != sum(by_channel.values()) or num != by_channel[ONLINE]
                            or den != int(received.sum())):
        out[obs["indicator_code"] == "DOSSIER_ONLINE"] = False
    return out


def _resolved_adds_up(ctx: DeliveryContext) -> pd.Series:
    """resolved = early + on time + late, as counted from the records; on time counts early + on time."""
    obs, rec = ctx.observations, ctx.records
    out = pd.Series(True, index=obs.index)
    finished = _in_month(rec["ngay_ket_thuc_xu_ly"], ctx) & rec["ngay_tu_choi"].isna()
    end = pd.to_datetime(rec["ngay_ket_thuc_xu_ly"], errors="coerce").dt.normalize()
    due = pd.to_datetime(rec["ngay_hen_tra"], errors="coerce").dt.normalize()
    early = int((finished & (end < due)).sum())
    on_time = int((finished & (end == due)).sum())
    late = int((finished & ~(end <= due)).sum())
    num, den = _count(obs, "DOSSIER_ON_TIME")
    if den is not None and (den != early + on_time + late or num != early + on_time):
        out[obs["indicator_code"] == "DOSSIER_ON_TIME"] = False
    return out


def _sum_rule(total: str, parts: list[str]):
    def fn(ctx: DeliveryContext) -> pd.Series:
        rec = ctx.records
        value = pd.to_numeric(rec[total], errors="coerce")
        summed = sum(pd.to_numeric(rec[p], errors="coerce").fillna(0) for p in parts)
        return ~(value.notna() & ((value - summed).abs() > 1e-9))
    return fn


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
                "Processing does not end before the dossier was received", column="ngay_ket_thuc_xu_ly"),
        derived("public_service.due_after_receipt", _due_after_receipt,
                "Ngày hẹn trả không trước ngày tiếp nhận", "The due date is not before reception",
                column="ngay_hen_tra"),
        derived("public_service.belongs_to_period", _belongs_to_period,
                "Hồ sơ được tiếp nhận hoặc kết thúc trong kỳ báo cáo",
                "Each dossier was received or finished in the delivery's month", column="ngay_tiep_nhan"),
        dates_not_after("public_service.received_not_future", "ngay_tiep_nhan", "period_end",
                        "Ngày tiếp nhận không sau kỳ báo cáo", "No reception date after the month"),
        *[dates_not_after(f"public_service.{col}_not_future", col, "today",
                          f"Không có ngày trong tương lai ({col})", f"No date in the future ({col})")
          for col in ("ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_tu_choi")],
        derived("public_service.received_adds_up", _received_adds_up,
                "Số hồ sơ tiếp nhận = trực tuyến + trực tiếp + bưu chính (khớp với danh sách hồ sơ)",
                "Received = online + in person + by post (matches the dossier list)",
                frame="observations", column="denominator"),
        derived("public_service.resolved_adds_up", _resolved_adds_up,
                "Số hồ sơ đã giải quyết = trước hạn + đúng hạn + quá hạn (khớp với danh sách hồ sơ)",
                "Resolved = early + on time + late (matches the dossier list)",
                frame="observations", column="denominator"),
        # Summary sheet rows (skipped for dossier lists, which have no such columns).
        derived("public_service.summary_received_adds_up",
                _sum_rule("nhan_tong", ["nhan_truc_tuyen", "nhan_truc_tiep_bcci", "nhan_ky_truoc"]),
                "Tổng tiếp nhận = trực tuyến + trực tiếp/bưu chính + kỳ trước chuyển sang",
                "Received = online + in person/by post + carried over", column="nhan_tong"),
        derived("public_service.summary_resolved_adds_up",
                _sum_rule("da_gq_tong", ["da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han"]),
                "Đã giải quyết = trước hạn + đúng hạn + quá hạn", "Resolved = early + on time + late",
                column="da_gq_tong"),
        derived("public_service.summary_pending_adds_up",
                _sum_rule("dang_gq_tong", ["dang_gq_trong_han", "dang_gq_qua_han"]),
                "Đang giải quyết = trong hạn + quá hạn", "Pending = within deadline + overdue",
                column="dang_gq_tong"),
    ]
