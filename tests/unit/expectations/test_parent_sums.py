"""A total row against the sum of its parts, over several columns at once (hand-made figures)."""

import numpy as np
import pandas as pd

from expectations.common import numbers_table, parents_off


def test_numbers_table_takes_the_connectors_figures_and_never_parses_text():
    # Numbers read once: the connector parses cell text (Vietnamese rules, the sheet's unit); a rule
    # takes its numbers and leaves any text empty, so "2.5" or "3.765,6" can never be read a second way.
    frame = pd.DataFrame({"a": [1, "2.5", None], "b": ["x", 3.0, ""], "c": ["3.765,6", 3765.6, True]})
    got = numbers_table(frame, ["a", "b", "c"])
    assert got.shape == (3, 3)
    assert got[0, 0] == 1 and got[1, 1] == 3.0 and got[1, 2] == 3765.6
    assert np.isnan(got[1, 0]) and np.isnan(got[0, 2])              # text: not parsed
    assert np.isnan(got[2, 2])                                        # a flag is not a figure
    assert np.isnan(got[2, 0]) and np.isnan(got[0, 1]) and np.isnan(got[2, 1])


def test_a_parent_off_in_any_column_is_marked_and_an_empty_parent_cell_is_not_compared():
    #               parent  child  child  parent2 (empty in column 0, off in column 1)
    values = np.array([[10.0, 4.0, 6.0, np.nan],
                       [7.0, 3.0, np.nan, 9.0]])
    values = values.T  # rows: parent, child, child, parent2; columns: two months
    parents = np.array([True, False, False, True])
    children = np.array([False, True, True, False])
    # month 1: 4 + 6 = 10 (parent holds, parent2 empty); month 2: 3 + empty = 3 (parent 7 and 9 are off)
    assert parents_off(values, parents, children, 0.5).tolist() == [True, False, False, True]
    # within tolerance: month 2 parent 7 vs 3 is 4 away, parent2 9 vs 3 is 6 away
    assert parents_off(values, parents, children, 5.0).tolist() == [False, False, False, True]
    assert parents_off(values, parents, children, 6.0).tolist() == [False, False, False, False]
