"""What the council's report says of the month's sources and which figures it lists (flows.presentation):
frames written by hand, sentences expected by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from flows.presentation import figures_used, measure_figures, source_notices

PERIOD = "2025-12"
NAMES = {"tax": "Báo cáo thu NSNN", "health": "Báo cáo y tế", "indicators": "Biểu chỉ tiêu khác"}
TARGETS = pd.DataFrame([
    {"target_code": "CT01a", "plan_item": 1, "source_code": "tax",
     "measure": {"kind": "growth", "numerator": {"indicator": "REV_YTD", "member": "TONG", "window": "latest"},
                 "denominator": {"indicator": "REV_PRIOR_YTD", "member": "TONG", "window": "latest"}}},
    {"target_code": "CT01b", "plan_item": 1, "source_code": "tax",
     "measure": {"kind": "items_meeting", "actual": {"indicator": "REV_YTD"}, "members": "I.*",
                 "estimate_preference": ["REV_ESTIMATE_COUNCIL", "REV_ESTIMATE_STATE"], "window": "latest"}},
    {"target_code": "CT07", "plan_item": 7, "source_code": "health",
     "measure": {"kind": "ratio", "numerator": {"indicator": "HEALTH_STATION_STANDARD"}}},
    {"target_code": "CT09", "plan_item": 9, "source_code": "indicators",
     "measure": {"kind": "total", "indicator": "LUOT_KHACH", "window": "latest"}},
])


def _judged(code, inputs, name="x"):
    return {"target_code": code, "name_vi": name, "inputs": inputs}


def _status(code, status, finished_at=None, active=None):
    return {"source_code": code, "status": status, "latest_load_id": 5, "active_load_id": active, "file_name": "f",
            "message": "tax:10549:2025-12: [error] …", "rows_loaded": 0, "finished_at": finished_at}


def test_quarantined_source_is_named_with_the_month_the_report_falls_back_on():
    attainment = pd.DataFrame([
        _judged("CT01a", [{"source": "tax", "load_id": 3, "period": "2025-11"}]),
        _judged("CT01b", [{"source": "tax", "load_id": 3, "period": "2025-11"}]),
        _judged("CT09", [{"source": "indicators", "load_id": 4, "period": "2025-12"}]),
    ])
    sources = pd.DataFrame([
        # returned at 20:30 UTC on 4 January: 5 January in Vietnam
        _status("tax", "quarantined", dt.datetime(2026, 1, 4, 20, 30, tzinfo=dt.UTC)),
        _status("indicators", "loaded"),
        _status("health", "missing"),  # no judged target reads it: nothing to say
    ])
    assert source_notices(sources, attainment, TARGETS, PERIOD, NAMES) == [
        "Báo cáo thu NSNN tháng 12/2025 bị trả lại ngày 05/01/2026; chỉ tiêu 1a, 1b tính theo số liệu đến "
        "tháng 11/2025, chờ báo cáo gửi lại."]


def test_missing_source_and_a_correction_quarantined_over_a_good_delivery():
    attainment = pd.DataFrame([
        _judged("CT01a", [{"source": "tax", "load_id": 3, "period": "2025-12"}]),
        _judged("CT07", []),
    ])
    sources = pd.DataFrame([
        _status("tax", "quarantined", dt.datetime(2026, 1, 6, 1, 0, tzinfo=dt.UTC), active=3),
        _status("health", "missing"),
    ])
    assert source_notices(sources, attainment, TARGETS, PERIOD, NAMES) == [
        "Báo cáo thu NSNN tháng 12/2025 bị trả lại ngày 06/01/2026; chỉ tiêu 1a dùng báo cáo tháng 12/2025 đã "
        "nhận trước đó, chờ báo cáo gửi lại.",
        "Báo cáo y tế tháng 12/2025: chưa nhận được; chỉ tiêu 7 chưa có số liệu, chờ nguồn gửi đến.",
    ]


def test_measure_figures_reads_indicators_members_and_preferences():
    by_code = {r["target_code"]: r["measure"] for r in TARGETS.to_dict("records")}
    assert measure_figures(by_code["CT01a"]) == [("REV_YTD", "TONG", None), ("REV_PRIOR_YTD", "TONG", None)]
    assert measure_figures(by_code["CT01b"]) == [("REV_YTD", None, "I.*"), ("REV_ESTIMATE_COUNCIL", None, "I.*"),
                                                 ("REV_ESTIMATE_STATE", None, "I.*")]
    assert measure_figures('{"kind": "total", "indicator": "LUOT_KHACH"}') == [("LUOT_KHACH", None, None)]


def _obs(load_id, indicator, member, period="2025-11", raw="1", source_file="thue.xlsx"):
    return {"load_id": load_id, "indicator_code": indicator, "period": period, "member_code": member, "value": 1.0,
            "raw_text": raw, "source_file": source_file, "sheet": "Biểu 01", "row_number": 14,
            "column_name": "Lũy kế", "file_name": "load-file.xlsx"}


def test_figures_used_follow_the_lineage_and_the_measure():
    attainment = pd.DataFrame([
        _judged("CT01a", [{"source": "tax", "load_id": 3, "period": "2025-11"}], "Thu NSNN"),
        _judged("CT01b", [{"source": "tax", "load_id": 3, "period": "2025-11"}], "Khoản thu"),
    ])
    observations = pd.DataFrame([
        _obs(3, "REV_YTD", "TONG", raw="3.512,8"),
        _obs(3, "REV_PRIOR_YTD", "TONG"),
        _obs(3, "REV_YTD", "I.1"),
        _obs(3, "REV_ESTIMATE_STATE", "I.1", source_file=None),
        _obs(3, "REV_YTD", "II.1"),                 # section II: not an item of CT01b
        _obs(3, "REV_MONTH", "TONG"),               # read by no measure
        _obs(3, "REV_YTD", "TONG", period="2025-10"),  # not a month the judgement used
        _obs(9, "REV_YTD", "TONG"),                 # another load
    ])
    got = [(f["target_code"], f["indicator_code"], f["member_code"], f["source_file"]) for f in
           figures_used(attainment, TARGETS, observations)]
    assert sorted(got) == [("CT01a", "REV_PRIOR_YTD", "TONG", "thue.xlsx"), ("CT01a", "REV_YTD", "TONG", "thue.xlsx"),
                           ("CT01b", "REV_ESTIMATE_STATE", "I.1", "load-file.xlsx"),
                           ("CT01b", "REV_YTD", "I.1", "thue.xlsx")]
    first = next(f for f in figures_used(attainment, TARGETS, observations) if f["member_code"] == "TONG"
                 and f["indicator_code"] == "REV_YTD")
    assert (first["raw_text"], first["sheet"], first["row_number"], first["column_name"], first["load_id"],
            first["plan_item"], first["name_vi"]) == ("3.512,8", "Biểu 01", 14, "Lũy kế", 3, 1, "Thu NSNN")


def test_a_share_of_members_lists_every_member_it_counted():
    """CT06 (schools at national standard) is a ratio over the schools: the stored measure carries member ''
    (no single member), and every school's figure of the month is behind the judgement."""
    targets = pd.DataFrame([{"target_code": "CT06", "plan_item": 6, "measure": {
        "kind": "ratio", "indicator": "SCHOOL_STANDARD", "member": "", "window": "latest"}}])
    attainment = pd.DataFrame([_judged("CT06", [{"source": "education", "load_id": 5, "period": "2025-10"}],
                                       "Trường chuẩn")])
    schools = ["MN-CM", "TH-VA", "THCS-SD"]
    observations = pd.DataFrame([_obs(5, "SCHOOL_STANDARD", s, period="2025-10") for s in schools]
                                + [_obs(5, "SCHOOL_COUNT", "", period="2025-10")])
    got = sorted(f["member_code"] for f in figures_used(attainment, targets, observations))
    assert got == sorted(schools)


def test_a_problem_that_found_several_values_reads_as_a_list_of_words():
    """Tried as a new user: the sources strip read "gặp '['Tiêu chí trạm y tế', 'Mẫu 2a']'"."""
    from flows.dashboard_data import problem_sentence

    failure = {"samples": [{"raw_text": ["Tiêu chí trạm y tế", "Mẫu 2a"], "expected_vi": "đủ các trang"}]}
    assert problem_sentence(failure) == "gặp 'Tiêu chí trạm y tế, Mẫu 2a', cần đủ các trang"
