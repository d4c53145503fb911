"""Deployment parameters as operators type them: a unit code as a number or as text."""

from __future__ import annotations

import pytest

from flows.params import unit_code_text, unit_codes_text


@pytest.mark.parametrize(("typed", "expected"), [(10549, "10549"), ("10549", "10549"), (" 10549 ", "10549"),
                                                 ("", None), (None, None)])
def test_a_unit_code_becomes_text(typed, expected):
    assert unit_code_text(typed) == expected


def test_unit_codes_become_text_in_order():
    assert unit_codes_text([10549, "10550", " "]) == ["10549", "10550"]
    assert unit_codes_text(None) is None


def test_the_flows_accept_a_unit_code_typed_as_a_number():
    # Prefect validates a deployment run's parameters against the flow's signature (pydantic).
    from prefect.flows import Flow

    from flows.backfill import backfill, catch_up
    from flows.close_city import backfill_city, close_city_month, close_units_batched
    from flows.fan_out import close_units
    from flows.monthly_close import close_month, ingest_file

    for flow, params in [(close_month, {"unit_code": 10549}), (catch_up, {"unit_code": 10549}),
                         (backfill, {"start": "2025-01", "end": "2025-02", "unit_code": 10549}),
                         (ingest_file, {"source_code": "tax", "period": "2025-10", "path": "x", "unit_code": 10549}),
                         (close_city_month, {"unit_codes": [10549, "10550"]}),
                         (backfill_city, {"start": "2025-01", "end": "2025-02", "unit_codes": [10549]}),
                         (close_units_batched, {"unit_codes": [10549]}), (close_units, {"unit_codes": [10549]})]:
        assert isinstance(flow, Flow)
        validated = flow.validate_parameters(params)  # raises ParameterTypeError on a refused value
        assert {key: validated[key] for key in params} == params, flow.name
