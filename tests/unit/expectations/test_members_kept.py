"""history.members_kept on hand-made frames: a member of the last accepted delivery must still be there,
unless the new delivery marks it closed; a member carried by a later delivery is not that month's."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from expectations.checks import DeliveryContext
from expectations.completeness import checks


def _ctx(records, history, source="education"):
    return DeliveryContext(observations=pd.DataFrame(), records=records, history=history, source_code=source,
                           unit_code="1", period="2025-10", today=dt.date(2025, 11, 5))


HISTORY = pd.DataFrame({"indicator_code": ["SCHOOL_STANDARD"] * 3, "member_code": ["A", "B", "C"],
                        "period": ["2025-09"] * 3, "source_file": ["truong-hoc-2025-09.xlsx"] * 3})


def _verdict(records, history=HISTORY):
    [rule] = checks("education")
    return rule.table(_ctx(records, history))


def test_a_school_gone_is_named_with_the_month_and_file_it_was_in():
    verdict = _verdict(pd.DataFrame({"ma_truong": ["A", "C"], "trang_thai": [None, None]}))
    assert not verdict.ok
    assert verdict.found == "1 member(s) of the 09/2025 delivery (truong-hoc-2025-09.xlsx) missing: B"


def test_a_school_marked_closed_may_go_and_a_new_one_may_come():
    records = pd.DataFrame({"ma_truong": ["A", "B", "C", "D"], "trang_thai": [None, "Đã giải thể", None, None]})
    assert _verdict(records).ok
    assert _verdict(pd.DataFrame({"ma_truong": ["A", "C", "D"], "trang_thai": [None, None, None]})).ok is False
    assert _verdict(pd.DataFrame({"ma_truong": ["A", "C"], "trang_thai": [None, "x"]})).ok is False


def test_only_the_latest_month_delivered_in_its_own_right_counts():
    older = HISTORY.assign(period="2025-08", member_code=["A", "B", "Z"])
    carried = HISTORY.assign(period="2025-09", load_period="2025-10")  # carried by a later delivery
    history = pd.concat([older.assign(load_period="2025-08"), carried], ignore_index=True)
    verdict = _verdict(pd.DataFrame({"ma_truong": ["A", "B"], "trang_thai": [None, None]}), history)
    assert verdict.found.endswith("missing: Z")
