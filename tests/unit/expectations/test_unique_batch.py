"""The uniqueness rule judged over many deliveries at once (a city batch) finds each delivery's repeated
keys, and never a key two wards share. Expected markers are written out by hand."""

from datetime import date

import pandas as pd

from expectations.batch import _derived_together
from expectations.checks import DeliveryContext, unique
from expectations.runner import _rule_values


def _ctx(records: pd.DataFrame, unit: str = "10549") -> DeliveryContext:
    return DeliveryContext(observations=pd.DataFrame(), records=records, history=pd.DataFrame(),
                           source_code="education", unit_code=unit, period="2025-10", today=date(2025, 11, 5))


def _holds(series: pd.Series) -> list[bool]:
    return [bool(v) for v in series.to_numpy()]


def test_repeated_keys_are_found_per_delivery_not_across_deliveries():
    rule = unique("education.school_unique", ["ma_truong"], "vi", "en")
    contexts = [
        _ctx(pd.DataFrame({"ma_truong": ["T1", "T2", "T1", None]})),   # T1 twice; an empty key is no key
        _ctx(pd.DataFrame({"ma_truong": ["T1", "T3"]}), "90001"),      # T1 again, but in another ward
        _ctx(pd.DataFrame({"ma_truong": [1, "1", "T9"]}), "90002"),    # 1 and "1" are the same code
        _ctx(pd.DataFrame({"ma_truong": pd.Series([], dtype=object)}), "90003"),
    ]
    got = [_holds(s) for s in rule.derive_many(contexts)]
    assert got == [[False, True, False, True], [True, True], [False, False, True], []]
    # One delivery alone gives the same markers as in the batch.
    assert [_holds(rule.derive(c)) for c in contexts] == got


def test_keys_of_several_columns_and_a_condition():
    rule = unique("health.criterion_unique", ["ma_tram", "tieu_chi_so"], "vi", "en",
                  condition="loai == 'a'")
    first = _ctx(pd.DataFrame({"ma_tram": ["S1", "S1", "S1", "S1"], "tieu_chi_so": [1, 1, 2, 1],
                               "loai": ["a", "a", "a", "b"]}))      # rows 0 and 1 repeat; row 3 out of scope
    second = _ctx(pd.DataFrame({"ma_tram": ["S1", "S2"], "tieu_chi_so": [1, 1], "loai": ["a", "a"]}), "90001")
    got = [_holds(s) for s in rule.derive_many([first, second])]
    assert got == [[False, False, True, True], [True, True]]


def test_a_delivery_without_the_key_column_is_skipped_alone():
    rule = unique("education.school_unique", ["ma_truong"], "vi", "en")
    good = _ctx(pd.DataFrame({"ma_truong": ["T1", "T1"]}))
    odd = _ctx(pd.DataFrame({"ten_truong": ["A", "B"]}), "90001")
    derived = _derived_together([good, odd], [[rule], [rule]], [set(), set()])
    assert derived == [{}, {}]  # the stack could not be judged: each delivery runs the rule alone
    planned, skipped = _rule_values(good, [rule], set(), derived[0])
    assert [list(p.values) for p in planned] == [[False, False]] and skipped == []
    planned, skipped = _rule_values(odd, [rule], set(), derived[1])
    assert planned == [] and skipped == ["education.school_unique"]
