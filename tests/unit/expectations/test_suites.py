"""The runner on observations alone: a good delivery passes; crafted bad ones fail, naming the rows."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from expectations import ValidationFailed, build_suite, raise_on_failure, validate_delivery
from expectations.checks import Check


def obs(indicator="DOSSIER_ONLINE", period="2025-08", num=6.0, den=10.0, row=7, value=None, member=""):
    return {"indicator_code": indicator, "unit_code": "10549", "period": period, "member_code": member,
            "value": (100 * num / den if den else math.nan) if value is None else value,
            "numerator": num, "denominator": den, "text_value": None,
            "source_file": "ho-so-2025-08.csv", "sheet": None, "row_number": row,
            "column_name": "KenhThucHien", "raw_text": str(num)}


def run(rows, source="public_service", frame=None):
    frame = pd.DataFrame(rows) if frame is None else frame
    return validate_delivery(source_code=source, unit_code="10549", period="2025-08", observations=frame)


def ids(report):
    return [f.rule_id for f in report.failed]


def test_good_delivery_passes():
    report = run([obs(), obs("DOSSIER_ON_TIME", num=9, den=9), obs("DOSSIER_FEE_ONLINE", num=3, den=5)])
    assert report.success and report.failed == []
    assert raise_on_failure(report) is report


def test_numerator_above_denominator_is_an_error_naming_the_row():
    report = run([obs(), obs("DOSSIER_ON_TIME", num=12, den=10, row=41)])
    assert not report.success
    assert ids(report) == ["obs.numerator_within_denominator", "obs.rate_0_100"]
    failed = report.failed[0]
    assert failed.unexpected_count == 1
    assert failed.samples[0]["row_number"] == 41
    assert failed.samples[0]["source_file"] == "ho-so-2025-08.csv"
    with pytest.raises(ValidationFailed, match="row 41"):
        raise_on_failure(report)


def test_wrong_period_unknown_indicator_and_duplicates_are_errors():
    report = run([obs(period="2025-07", row=3), obs("NOT_AN_INDICATOR", row=4), obs("DOSSIER_ON_TIME", row=5),
                  obs("DOSSIER_ON_TIME", row=6)])
    failed = {f.rule_id: f for f in report.failed}
    assert [s["row_number"] for s in failed["obs.period_matches"].samples] == [3]
    assert [s["row_number"] for s in failed["obs.indicator_known"].samples] == [4]
    assert [s["row_number"] for s in failed["obs.key_unique"].samples] == [5, 6]
    assert not report.success


def test_missing_column_is_an_error_and_rules_that_need_it_are_skipped():
    frame = pd.DataFrame([obs()]).drop(columns=["raw_text", "numerator"])
    report = run(None, frame=frame)
    [failed] = [f for f in report.failed if f.rule_id == "obs.columns_present"]
    assert "raw_text" in failed.found and "numerator" in failed.found
    assert not report.success


def test_a_warning_loads_and_flags():
    warn = [Check("demo.warn", "ExpectColumnValuesToBeBetween", {"column": "value", "max_value": 50},
                  severity="warning", description_vi="Giá trị ≤ 50", description_en="Value ≤ 50")]
    report = validate_delivery(source_code="public_service", unit_code="10549", period="2025-08",
                               observations=pd.DataFrame([obs()]), checks=warn)
    assert [f.severity for f in report.failed] == ["warning"]
    assert report.success and report.to_dict()["warning_count"] == 1


def test_empty_delivery_is_an_error():
    frame = pd.DataFrame(columns=list(obs().keys()))
    report = validate_delivery(source_code="health", unit_code="10549", period="2025-08", observations=frame)
    assert ids(report) == ["obs.not_empty"]
    assert not report.success


def test_every_rule_has_an_id_a_severity_and_both_languages():
    for source in ("tax", "public_service", "health", "education", "indicators"):
        for check in build_suite(source, "10549", "2025-08"):
            assert check.severity in ("error", "warning")
            assert check.description_vi and check.description_en, check.rule_id


def test_unknown_source_has_no_suite():
    with pytest.raises(KeyError, match="no expectation suite"):
        build_suite("weather", "10549", "2025-08")
