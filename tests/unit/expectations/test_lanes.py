"""Lanes in the GX run (expectations.runner._gx_validate): a rule family's long column is cut into
lanes; every failing value must still be told against its own rule and row."""

from __future__ import annotations

import numpy as np
import pytest

from expectations.runner import _MAX_LANES, _gx_validate, _RuleValues


def _marker_part(index: int, values: list[bool]) -> _RuleValues:
    return _RuleValues(index, None, "ExpectColumnValuesToBeInSet", {"value_set": [True]},
                       np.arange(len(values)), np.asarray(values, dtype=object))


def _between_part(index: int, values: list[float]) -> _RuleValues:
    return _RuleValues(index, None, "ExpectColumnValuesToBeBetween", {"min_value": 0, "max_value": 100},
                       np.arange(len(values)), np.asarray(values, dtype=object))


@pytest.mark.parametrize("n_markers", [1, 3, _MAX_LANES + 5])
def test_failures_in_any_lane_are_told_against_their_own_rule_and_row(n_markers):
    rng = np.random.default_rng(n_markers)
    parts, expected = [], {}
    for k in range(n_markers):  # marker rules of uneven lengths: the family spans several lanes
        values = [True] * int(rng.integers(50, 400))
        bad = sorted(rng.choice(len(values), size=int(rng.integers(0, 4)), replace=False).tolist())
        for b in bad:
            values[b] = False
        if bad:
            expected[len(parts)] = bad
        parts.append(_marker_part(k, values))
    numbers = [5.0] * 700  # another family, longer than any marker part
    numbers[3], numbers[699] = -1.0, 101.0
    expected[len(parts)] = [3, 699]
    parts.append(_between_part(99, numbers))

    out = _gx_validate(parts)

    assert {n: rows.tolist() for n, (rows, _, _) in out.items()} == expected
    assert all(count == len(expected[n]) and found == "" for n, (_, count, found) in out.items())


def test_a_family_without_failures_reports_nothing():
    assert _gx_validate([_marker_part(0, [True] * 30), _marker_part(1, [True] * 10)]) == {}
