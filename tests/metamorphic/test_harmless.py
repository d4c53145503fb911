"""Harmless variation changes nothing that was said (issue 15, "Done when", first point).

Relation: the observations of every variant equal the base delivery's (indicator, member, value,
numerator, denominator, text value, unit, period); lineage (file, sheet, row, column name, raw text) may
differ. The base itself must give the observations computed from the generator's parameters.

Test ids read `<corpus>-<n>-<transformation>=<choice>+…`; a failure prints what each step changed.
"""

from __future__ import annotations

import pytest

from tests.metamorphic import base
from tests.metamorphic.conftest import PLANS, read_observations
from tests.metamorphic.transforms import CORPORA

pytestmark = pytest.mark.metamorphic

ALL_VARIANTS = [v for corpus in CORPORA for v in PLANS[corpus]]


def _problems_text(exc: Exception, limit: int = 6) -> str:
    problems = getattr(exc, "problems", None)
    if not problems:
        return f"{type(exc).__name__}: {exc}"
    lines = [f"{type(exc).__name__} with {len(problems)} problem(s):"]
    for p in problems[:limit]:
        lines.append(f"  - {p.message_en()}" if hasattr(p, "message_en") else f"  - {p}")
    if len(problems) > limit:
        lines.append(f"  … {len(problems) - limit} more")
    return "\n".join(lines)


@pytest.mark.parametrize("corpus", CORPORA)
def test_the_corpus_has_at_least_200_variants_per_source(corpus):
    variants = PLANS[corpus]
    assert len(variants) >= 200
    assert len({v.id for v in variants}) == len(variants)


@pytest.mark.parametrize("corpus", CORPORA)
def test_base_delivery_gives_the_observations_of_its_parameters(corpus, base_readings):
    reading = base_readings[corpus]
    assert reading.error is None, f"the base delivery {reading.path.name} was refused:\n{reading.error}"
    diff = base.differences(reading.expected, reading.observed)
    if diff:
        pytest.fail(f"{reading.path.name}: observations differ from the parameters:\n" + "\n".join(diff),
                    pytrace=False)


@pytest.mark.parametrize("variant", ALL_VARIANTS, ids=lambda v: v.id)
def test_harmless_variant_gives_the_base_observations(variant, corpus_files, base_readings):
    item = corpus_files[variant.id]
    header = f"variant {variant.id}\n" + "".join(f"  step {n}\n" for n in item.notes)
    if item.error:
        pytest.fail(header + item.error)
    reading = base_readings[variant.corpus]
    # the relation is with the base's reading; when the base itself is refused, with its parameters
    expected = reading.observed if reading.observed is not None else reading.expected
    failure = None
    try:
        got = base.observed(read_observations(variant.corpus, item.path))
    except Exception as exc:  # noqa: BLE001 - any refusal or crash of a harmless variant is the finding
        failure = f"{header}file {item.path.name}: refused or failed\n{_problems_text(exc)}"
    if failure:
        pytest.fail(failure, pytrace=False)
    diff = base.differences(expected, got)
    if diff:
        pytest.fail(f"{header}file {item.path.name}: observations differ from the base's:\n" + "\n".join(diff[:12]),
                    pytrace=False)
