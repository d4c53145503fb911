"""Every rule of every suite: a delivery that passes it and one that breaks it, naming the rule and rows.

The good deliveries are the generated October 2025 samples read by the real connectors (history: the
generated September 2025 and October 2024). Each bad delivery changes one thing by hand; the test then
expects exactly that rule to fail, with the row of the changed cell among its sample rows. A meta-test
checks that no rule of any suite lacks a case here.
"""

from __future__ import annotations

import copy
import datetime as dt
import glob

import pandas as pd
import pytest

import connectors
import expectations
from expectations.suites import build_suite, dataset_names

UNIT, PERIOD = "10549", "2025-10"
TODAY = dt.date(2026, 1, 15)  # the exports show every dossier as of 31/12/2025


def _read(samples_dir, source, period):
    if source == "public_service":
        path = samples_dir / "public_service" / "exports" / f"ho-so-{period}.csv"
    else:
        [path] = glob.glob(str(samples_dir / "inbox" / UNIT / source / period / "*"))
    records = connectors.SOURCES[source].read(path)
    return records, connectors.SOURCES[source].to_observations(records, UNIT, period)


@pytest.fixture(scope="module")
def good(samples_dir):
    out = {}
    for source in dataset_names():
        records, obs = _read(samples_dir, source, PERIOD)
        history = pd.concat([_read(samples_dir, source, p)[1] for p in ("2025-09", "2024-10")], ignore_index=True)
        out[source] = {"rec": records, "obs": obs, "hist": history, "declared": records.attrs.get("period"),
                       "today": TODAY}
    return out


def run(d, source):
    return expectations.validate_delivery(source_code=source, unit_code=UNIT, period=PERIOD,
                                          observations=d["obs"], records=d["rec"], history=d["hist"],
                                          today=d["today"], declared_period=d["declared"])


def fresh(good, source):
    d = {k: (v.copy(deep=True) if isinstance(v, pd.DataFrame) else copy.copy(v)) for k, v in good[source].items()}
    d["rec"].attrs = copy.deepcopy(good[source]["rec"].attrs)
    return d


# helpers that change one cell and return the spreadsheet row (lineage) of the changed row ---------------

def set_rec(d, where, column, value):
    idx = d["rec"].index[where(d["rec"])][0]
    d["rec"][column] = d["rec"][column].astype(object)
    d["rec"].at[idx, column] = value
    return d["rec"].at[idx, "row_number"]


def set_obs(d, indicator, column, value, member=None):
    mask = d["obs"]["indicator_code"] == indicator
    if member is not None:
        mask &= d["obs"]["member_code"] == member
    idx = d["obs"].index[mask][0]
    d["obs"][column] = d["obs"][column].astype(object) if isinstance(value, str) or value is None else d["obs"][column]
    d["obs"].at[idx, column] = value
    return d["obs"].at[idx, "row_number"]


def drop_record(d, column, value):
    """Remove the records whose `column` is `value` (the delivery lost that member)."""
    d["rec"] = d["rec"][d["rec"][column] != value].reset_index(drop=True)


def rename_station(d, code):
    """Every criterion row under another station code (September's station is gone)."""
    d["rec"]["ma_tram"] = d["rec"]["ma_tram"].astype(object)
    d["rec"].loc[d["rec"]["table"] == "tieu_chi", "ma_tram"] = code


def public_school(d):
    """The code of the register's first public school (one the history's SCHOOL_STANDARD holds)."""
    return d["rec"].loc[d["rec"]["is_public"].astype(bool), "ma_truong"].iloc[0]


def setter(where, column, value):
    """A mutation that sets `column` of the first record matching `where` to `value`."""
    return lambda d: set_rec(d, where, column, value)


def code(col, value):
    return lambda r: r[col].astype(str) == value


def first(r):
    return r.index == r.index[0]


def duplicate_first_row(frame_key):
    def mutate(d):
        frame = d[frame_key]
        d[frame_key] = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
        d[frame_key].attrs = frame.attrs
        return frame.iloc[0]["row_number"]
    return mutate


def drop_column(frame_key, column):
    def mutate(d):
        attrs = d[frame_key].attrs
        d[frame_key] = d[frame_key].drop(columns=[column])
        d[frame_key].attrs = attrs
    return mutate


def add_column(frame_key, column):
    def mutate(d):
        d[frame_key][column] = "x"
    return mutate


def ps_summary(d):
    """Replace the dossier list by a consistent one-row summary sheet (the office's monthly form)."""
    d["rec"] = pd.DataFrame([{"stt": "1", "linh_vuc": "Tư pháp", "nhan_tong": 10, "nhan_truc_tuyen": 6,
                              "nhan_truc_tiep_bcci": 3, "nhan_ky_truoc": 1, "da_gq_tong": 8, "da_gq_truoc_han": 2,
                              "da_gq_dung_han": 5, "da_gq_qua_han": 1, "dang_gq_tong": 2, "dang_gq_trong_han": 2,
                              "dang_gq_qua_han": 0, "source_file": "tong-hop.xlsx", "sheet": "Tổng hợp",
                              "row_number": 9}])


def ps_summary_break(column):
    def mutate(d):
        ps_summary(d)
        d["rec"].at[0, column] = 99
        return 9
    return mutate


def spike(indicator, member):
    def mutate(d):
        row = set_obs(d, indicator, "value", float(d["obs"].loc[(d["obs"]["indicator_code"] == indicator)
                                                                & (d["obs"]["member_code"] == member),
                                                                "value"].iloc[0]) * 150, member)
        return row
    return mutate


def revise_september(d):
    """The October workbook carries September's visits 500 above the figure in force (the September
    delivery's, in the history)."""
    hist = d["hist"]
    old = hist[(hist["indicator_code"] == "LUOT_KHACH") & (hist["period"] == "2025-09")]["value"].iloc[0]
    row = d["obs"][d["obs"]["indicator_code"] == "LUOT_KHACH"].iloc[[0]].assign(period="2025-09", value=old + 500)
    d["obs"] = pd.concat([d["obs"], row], ignore_index=True)
    return row["row_number"].iloc[0]


def ytd_drop(d):
    prev = d["hist"][(d["hist"]["indicator_code"] == "REV_YTD") & (d["hist"]["member_code"] == "I.1")
                     & (d["hist"]["period"] == "2025-09")]["value"].iloc[0]
    return set_obs(d, "REV_YTD", "value", float(prev) - 1_000_000, member="I.1")


def nvqs_drop(d):
    mask = (d["hist"]["indicator_code"] == "NVQS_PRESCREEN") & (d["hist"]["period"] == "2025-09")
    d["hist"].loc[mask, "numerator"] = d["obs"].loc[d["obs"]["indicator_code"] == "NVQS_PRESCREEN",
                                                    "numerator"].iloc[0] + 5
    return d["obs"].loc[d["obs"]["indicator_code"] == "NVQS_PRESCREEN", "row_number"].iloc[0]


def dossier(d, pred=None):
    return d["rec"].index[pred(d["rec"])] if pred is not None else d["rec"].index


def late_dossier(d):
    """Make one dossier finished in October late (ends the day after it was due): on-time counts change."""
    rec = d["rec"]
    finished = rec["ngay_ket_thuc_xu_ly"].between(pd.Timestamp("2025-10-01"), pd.Timestamp("2025-10-31 23:59"))
    on_time = finished & rec["ngay_tu_choi"].isna() & (rec["ngay_ket_thuc_xu_ly"].dt.normalize()
                                                       <= rec["ngay_hen_tra"].dt.normalize())
    idx = rec.index[on_time][0]
    rec.at[idx, "ngay_hen_tra"] = rec.at[idx, "ngay_ket_thuc_xu_ly"] - pd.Timedelta(days=1)
    d["rec"]["ngay_hen_tra"] = rec["ngay_hen_tra"]
    return None


def channel_change(d):
    rec = d["rec"]
    received = rec["ngay_tiep_nhan"].between(pd.Timestamp("2025-10-01"), pd.Timestamp("2025-10-31 23:59"))
    idx = rec.index[received & (rec["kenh_thuc_hien"] == 1)][0]
    rec.at[idx, "kenh_thuc_hien"] = 2
    return None


def nat(value):
    return pd.Timestamp(value)


def total_off_by_5(d):
    """TGTSP's October figure 5 above its sectors' sum: the cell and, when the connector gives it, the
    number it parsed from the cell (`thang_10_number`, what the rule reads)."""
    where = code("ma_chi_tieu", "TGTSP")
    value = float(d["rec"].loc[where(d["rec"]), "thang_10"].iloc[0]) + 5
    if "thang_10_number" in d["rec"].columns:
        set_rec(d, where, "thang_10_number", value)
    return set_rec(d, where, "thang_10", value)


def reader_warning(d):
    """The connector noticed an extra column it does not use (a warning it hands over in the records' attrs,
    as plain dicts): the suite reports it, pointing at the header cell."""
    d["rec"].attrs["reader_warnings"] = [{
        "file": "bao-cao.xlsx", "sheet": "Thu NSNN", "row": 7, "column": "Ghi chú 2", "letter": "L",
        "found": "Ghi chú 2", "expected": "a column of the form", "expected_vi": "một cột của biểu",
        "severity": "warning", "message_vi": "cột L 'Ghi chú 2' không dùng",
        "message_en": "column L 'Ghi chú 2' is not used"}]
    return 7


# (source, rule id, mutation returning the expected row or None) ------------------------------------------
CASES = [
    ("indicators", "obs.columns_present", drop_column("obs", "raw_text"), None),
    ("indicators", "obs.no_unknown_columns", add_column("obs", "extra"), None),
    ("indicators", "obs.not_empty", lambda d: d.update(obs=d["obs"].iloc[0:0]), None),
    ("indicators", "obs.indicator_not_null", lambda d: set_obs(d, "TNBQ", "indicator_code", None), "row"),
    ("indicators", "obs.indicator_known", lambda d: set_obs(d, "TNBQ", "indicator_code", "NOPE"), "row"),
    ("indicators", "obs.unit_matches", lambda d: set_obs(d, "TNBQ", "unit_code", "31"), "row"),
    # an earlier month of the year is a figure the cumulative workbook carries; a later month is not
    ("indicators", "obs.period_matches", lambda d: set_obs(d, "TNBQ", "period", "2025-11"), "row"),
    ("indicators", "obs.key_unique", duplicate_first_row("obs"), "row"),
    ("indicators", "obs.numerator_not_negative", lambda d: set_obs(d, "GDVH", "numerator", -1.0), "row"),
    ("indicators", "obs.denominator_not_negative", lambda d: (set_obs(d, "GDVH", "numerator", -2.0),
                                                              set_obs(d, "GDVH", "denominator", -1.0))[1], "row"),
    ("indicators", "obs.numerator_within_denominator",
     lambda d: set_obs(d, "NUOC_SACH", "numerator",
                       float(d["obs"].loc[d["obs"]["indicator_code"] == "NUOC_SACH", "denominator"].iloc[0]) + 1),
     "row"),
    ("indicators", "obs.rate_0_100", lambda d: set_obs(d, "HO_NGHEO", "value", 140.0), "row"),
    ("indicators", "period.title_matches", lambda d: d.update(declared="2025-09"), None),
    ("indicators", "period.not_future", lambda d: d.update(today=dt.date(2025, 9, 30)), None),
    ("tax", "read.warnings", reader_warning, "row"),
    ("tax", "tax.columns_present", drop_column("rec", "luy_ke_vnd"), None),
    ("tax", "tax.no_unknown_columns", add_column("rec", "cot_la"), None),
    ("tax", "tax.member_not_null", lambda d: set_rec(d, code("member_code", "I.3"), "member_code", None), "row"),
    ("tax", "tax.member_unique", lambda d: set_rec(d, code("member_code", "I.3"), "member_code", "I.2"), "row"),
    *[("tax", f"tax.{col}_not_negative", setter(code("member_code", "II"), col, -5_000_000.0), "row")
      for col in ("du_toan_phap_lenh_vnd", "du_toan_hdnd_vnd", "th_thang_vnd", "luy_ke_vnd", "cung_ky_vnd")],
    ("tax", "tax.parent_equals_children",
     lambda d: set_rec(d, code("member_code", "TONG"), "cung_ky_vnd",
                       float(d["rec"].loc[d["rec"]["member_code"] == "TONG", "cung_ky_vnd"].iloc[0]) + 2_000_000),
     "row"),
    ("tax", "tax.month_within_ytd",
     lambda d: set_rec(d, code("member_code", "II"), "th_thang_vnd",
                       float(d["rec"].loc[d["rec"]["member_code"] == "II", "luy_ke_vnd"].iloc[0]) + 9_000_000),
     "row"),
    ("tax", "history.ytd_never_decreases", ytd_drop, "row"),
    # a revenue line, the station, a school of September's accepted delivery gone from October's
    ("tax", "history.members_kept", lambda d: drop_record(d, "member_code", "II"), None),
    ("health", "history.members_kept", lambda d: rename_station(d, "TYT0"), None),
    ("education", "history.members_kept", lambda d: drop_record(d, "ma_truong", public_school(d)), None),
    ("tax", "history.no_spikes", spike("REV_YTD", "I.2"), "row"),
    ("health", "history.ytd_never_decreases", nvqs_drop, "row"),
    ("indicators", "history.no_spikes", spike("LUOT_KHACH", ""), "row"),
    ("indicators", "indicators.earlier_month_revised", revise_september, "row"),
    ("health", "health.columns_present", drop_column("rec", "ket_luan"), None),
    ("health", "health.no_unknown_columns", add_column("rec", "cot_la"), None),
    ("health", "health.station_not_null", lambda d: set_rec(d, code("tieu_chi_so", "3"), "ma_tram", None), "row"),
    ("health", "health.criterion_unique", lambda d: set_rec(d, code("tieu_chi_so", "3"), "tieu_chi_so", "2"),
     "row"),
    ("health", "health.conclusion_known", lambda d: set_rec(d, code("tieu_chi_so", "3"), "ket_luan", "Tốt"), "row"),
    ("health", "health.score_not_negative", lambda d: set_rec(d, code("tieu_chi_so", "3"), "diem_tham_dinh", -1.0),
     "row"),
    ("health", "health.score_within_maximum",
     lambda d: set_rec(d, code("tieu_chi_so", "4"), "diem_tham_dinh", 99.0), "row"),
    ("health", "health.count_not_negative", lambda d: set_rec(d, code("item_code", "so_loai_ra"), "ket_qua", -3),
     "row"),
    ("health", "health.removed_within_screened",
     lambda d: set_rec(d, code("item_code", "so_loai_ra"), "ket_qua", 100_000), "row"),
    ("health", "health.decision_not_future",
     lambda d: set_rec(d, code("tieu_chi_so", "5"), "ngay_qd", nat("2025-11-03")), "row"),
    ("education", "education.columns_present", drop_column("rec", "ma_truong"), None),
    ("education", "education.no_unknown_columns", add_column("rec", "cot_la"), None),
    ("education", "education.school_not_null", lambda d: set_rec(d, first, "ma_truong", None), "row"),
    ("education", "education.school_unique",
     lambda d: set_rec(d, lambda r: r.index == r.index[2], "ma_truong", d["rec"]["ma_truong"].iloc[1]), "row"),
    ("education", "education.level_known", lambda d: set_rec(d, first, "muc_chuan_quoc_gia", "Mức độ 5"), "row"),
    ("education", "education.accreditation_1_4", lambda d: set_rec(d, first, "cap_do_kiem_dinh", 7), "row"),
    ("education", "education.expires_after_granted",
     lambda d: set_rec(d, first, "ngay_het_han", nat("2020-01-01")), "row"),
    ("education", "education.decision_not_future", lambda d: set_rec(d, first, "ngay_qd", nat("2025-11-02")), "row"),
    ("indicators", "indicators.columns_present", drop_column("rec", "thang_10"), None),
    ("indicators", "indicators.no_unknown_columns", add_column("rec", "cot_la"), None),
    ("indicators", "indicators.code_unique", lambda d: set_rec(d, code("ma_chi_tieu", "GDVH"), "ma_chi_tieu", "TNBQ"),
     "row"),
    ("indicators", "indicators.parent_equals_children", total_off_by_5, "row"),
    ("indicators", "indicators.value_not_negative", lambda d: set_obs(d, "LUOT_KHACH", "value", -4.0), "row"),
    ("indicators", "indicators.antt_text_known", lambda d: set_obs(d, "ANTT", "text_value", "Ổn"), "row"),
    ("public_service", "public_service.columns_present", drop_column("rec", "kenh_thuc_hien"), None),
    ("public_service", "public_service.no_unknown_columns", add_column("rec", "cot_la"), None),
    ("public_service", "public_service.id_not_null", lambda d: set_rec(d, first, "ma_ho_so", None), "row"),
    ("public_service", "public_service.id_unique",
     lambda d: set_rec(d, lambda r: r.index == r.index[3], "ma_ho_so", d["rec"]["ma_ho_so"].iloc[2]), "row"),
    ("public_service", "public_service.received_not_null",
     lambda d: set_rec(d, lambda r: r["ngay_ket_thuc_xu_ly"].between(nat("2025-10-01"), nat("2025-10-31")),
                       "ngay_tiep_nhan", pd.NaT), "row"),
    ("public_service", "public_service.channel_known", lambda d: set_rec(d, first, "kenh_thuc_hien", 5), "row"),
    ("public_service", "public_service.status_known", lambda d: set_rec(d, first, "trang_thai_ho_so", "99"), "row"),
    ("public_service", "public_service.fee_not_negative", lambda d: set_rec(d, first, "tong_phi_le_phi", -1.0),
     "row"),
    ("public_service", "public_service.ends_after_receipt",
     lambda d: set_rec(d, lambda r: r["ngay_ket_thuc_xu_ly"].between(nat("2025-10-05"), nat("2025-10-31")),
                       "ngay_tiep_nhan", nat("2025-10-31 16:00")), "row"),
    ("public_service", "public_service.due_after_receipt",
     lambda d: set_rec(d, lambda r: r["ngay_tiep_nhan"].between(nat("2025-10-10"), nat("2025-10-31"))
                       & r["ngay_ket_thuc_xu_ly"].isna(), "ngay_hen_tra", nat("2025-10-01 17:00")), "row"),
    ("public_service", "public_service.belongs_to_period",
     lambda d: set_rec(d, lambda r: r["ngay_tiep_nhan"].between(nat("2025-10-01"), nat("2025-10-31"))
                       & (r["ngay_ket_thuc_xu_ly"] > nat("2025-11-01")) & r["ngay_tu_choi"].isna(),
                       "ngay_tiep_nhan", nat("2025-07-01 08:00")), "row"),
    ("public_service", "public_service.received_not_future",
     lambda d: set_rec(d, lambda r: r["ngay_tiep_nhan"].between(nat("2025-10-01"), nat("2025-10-31"))
                       & r["ngay_ket_thuc_xu_ly"].isna(), "ngay_tiep_nhan", nat("2025-11-02 08:00")), "row"),
    *[("public_service", f"public_service.{col}_not_future",
       setter(first, col, nat("2026-03-01 08:00")), "row")
      for col in ("ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_tu_choi")],
    ("public_service", "public_service.received_adds_up", channel_change, None),
    ("public_service", "public_service.resolved_adds_up", late_dossier, None),
    ("public_service", "public_service.summary_received_adds_up", ps_summary_break("nhan_tong"), "row"),
    ("public_service", "public_service.summary_resolved_adds_up", ps_summary_break("da_gq_tong"), "row"),
    ("public_service", "public_service.summary_pending_adds_up", ps_summary_break("dang_gq_tong"), "row"),
]


def test_every_rule_of_every_suite_has_a_case():
    rules = {(s, c.rule_id) for s in dataset_names() for c in build_suite(s, UNIT, PERIOD)}
    covered = {(s, r) for s, r, *_ in CASES}
    shared = {r for _, r, *_ in CASES if r.startswith(("obs.", "period.", "read."))}
    missing = {(s, r) for s, r in rules if (s, r) not in covered and r not in shared}
    assert missing == set()


@pytest.mark.parametrize("source", dataset_names())
def test_the_good_delivery_passes_every_rule(good, source):
    report = run(fresh(good, source), source)
    assert report.failed == [], report.summary()
    assert report.success
    # Only the summary-sheet rules do not apply to a dossier list.
    assert {s for s in report.skipped if not s.startswith("public_service.summary_")} == set()


def test_a_consistent_summary_sheet_passes_its_rules(good):
    d = fresh(good, "public_service")
    ps_summary(d)
    report = run(d, "public_service")
    failed = {f.rule_id for f in report.failed}
    assert not failed & {"public_service.summary_received_adds_up", "public_service.summary_resolved_adds_up",
                         "public_service.summary_pending_adds_up", "public_service.columns_present"}


@pytest.mark.parametrize(("source", "rule_id", "mutate", "names_row"), CASES,
                         ids=[f"{s}:{r}" for s, r, *_ in CASES])
def test_the_bad_delivery_fails_the_rule_and_names_the_row(good, source, rule_id, mutate, names_row):
    d = fresh(good, source)
    row = mutate(d)
    report = run(d, source)
    stored = report.to_dict()  # what the warehouse keeps
    by_rule = {f["rule_id"]: f for f in stored["failed"]}
    assert rule_id in by_rule, report.summary()
    failure = by_rule[rule_id]
    severity = next(c.severity for c in build_suite(source, UNIT, PERIOD) if c.rule_id == rule_id)
    assert failure["severity"] == severity
    assert stored["success"] is (severity != "error" and report.success)
    if names_row == "row":
        assert row is not None
        rows = [s["row_number"] for s in failure["samples"]]
        assert int(row) in rows, failure
        assert failure["samples"][0]["source_file"]
    elif failure["samples"] == []:
        assert failure["found"] and failure["expected"]
