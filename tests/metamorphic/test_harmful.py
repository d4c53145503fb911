"""Harmful variation is refused, and the refusal points at the one thing to fix (issue 15, "Done when").

Each case breaks the base delivery (or a variant of it with its columns shuffled and an unknown column
added, so the letters are not the base's) in one way: a required column removed, two columns with one
meaning, a value outside the vocabulary, a number typed as words, three different bad cells at once.
The product must raise `BadInputError` (from `read` or `to_observations`) whose `problems` include, for
each planted fault, one problem naming:
- a bad cell: the file, the sheet, the row as Excel shows it, the column letter, the header as typed (its
  leaf, or the levels joined with ' / ') and the value exactly as typed;
- a missing column: which column (one of its spellings), on the sheet's header rows;
- two columns with one meaning: the header as typed and the letter of one of the two, on the header rows.
"""

from __future__ import annotations

import pytest

from connectors.errors import BadInputError
from tests.metamorphic.conftest import read_observations
from tests.metamorphic.model import Export, write_book, write_export
from tests.metamorphic.transforms import build_harmful, harmful_cases, matches, wants_for_book, wants_for_export

pytestmark = pytest.mark.metamorphic

CASES = harmful_cases()


def _describe(problem) -> str:
    return (f"file={problem.file!r} sheet={problem.sheet!r} row={problem.row!r} letter={problem.letter!r} "
            f"column={problem.column!r} found={problem.found!r} expected={problem.expected!r}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_harmful_delivery_is_refused_naming_header_cell_and_value(case, tmp_path):
    delivery, marks = build_harmful(case)
    if isinstance(delivery, Export):
        path = tmp_path / f"{case.corpus}-{case.name}{delivery.suffix}"
        wants = wants_for_export(delivery, write_export(delivery, path), marks)
    else:
        path = tmp_path / f"{case.corpus}-{case.name}{delivery.suffix}"
        wants = wants_for_book(delivery, write_book(delivery, path), marks)
    wanted = "\n".join(f"  - {w.describe()}" for w in wants)

    refusal, other = None, None
    try:
        read_observations(case.corpus, path)
    except BadInputError as exc:
        refusal = exc
    except Exception as exc:  # noqa: BLE001 - a crash is not a refusal
        other = exc
    if other is not None:
        pytest.fail(f"{case.id}: expected a BadInputError, the product raised {type(other).__name__}: {other}\n"
                    f"wanted:\n{wanted}", pytrace=False)
    if refusal is None:
        pytest.fail(f"{case.id}: the delivery was ACCEPTED; wanted a refusal with:\n{wanted}", pytrace=False)

    problems = list(getattr(refusal, "problems", []) or [])
    unmatched = [w for w in wants if not any(matches(w, p, path.name) for p in problems)]
    if unmatched:
        listed = "\n".join(f"  - {_describe(p)}" for p in problems[:10])
        more = f"\n  … {len(problems) - 10} more" if len(problems) > 10 else ""
        pytest.fail(f"{case.id}: refused, but {len(unmatched)} of {len(wants)} wanted problem(s) not named:\n"
                    + "\n".join(f"  - {w.describe()}" for w in unmatched)
                    + f"\nthe refusal's {len(problems)} problem(s):\n{listed}{more}", pytrace=False)
