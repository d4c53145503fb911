"""Each suite passes a good delivery and fails crafted bad ones, naming the offending rows."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from expectations import ValidationFailed, build_suite, raise_on_failure, validate


def obs(indicator="DOSSIER_ONLINE", period="2025-08", num=6.0, den=10.0, row=7, value=None, member=""):
    return {"indicator_code": indicator, "unit_code": "10549", "period": period, "member_code": member,
            "value": (100 * num / den if den else math.nan) if value is None else value,
            "numerator": num, "denominator": den, "text_value": None,
            "source_file": "ho-so-2025-08.csv", "sheet": None, "row_number": row,
            "column_name": "KenhThucHien", "raw_text": str(num)}


def run(rows, source="public_service"):
    return validate(pd.DataFrame(rows), build_suite(source, "10549", "2025-08"), f"{source}:test")


def test_good_delivery_passes():
    report = run([obs(), obs("DOSSIER_ON_TIME", num=9, den=9), obs("DOSSIER_FEE_ONLINE", num=3, den=5)])
    assert report.success and report.failed == []
    assert raise_on_failure(report) is report


def test_numerator_above_denominator_is_an_error_naming_the_row():
    report = run([obs(), obs("DOSSIER_ON_TIME", num=12, den=10, row=41)])
    assert not report.success
    [failed] = report.failed
    assert failed.expectation == "ExpectColumnPairValuesAToBeGreaterThanB"
    assert failed.unexpected_count == 1
    assert failed.samples[0]["row_number"] == 41
    assert failed.samples[0]["source_file"] == "ho-so-2025-08.csv"
    with pytest.raises(ValidationFailed, match="row 41"):
        raise_on_failure(report)


def test_wrong_period_unknown_indicator_and_duplicates_are_errors():
    report = run([obs(period="2025-07"), obs("NOT_AN_INDICATOR"), obs("DOSSIER_ON_TIME"),
                  obs("DOSSIER_ON_TIME")])
    kinds = {f.expectation: f.unexpected_count for f in report.failed}
    assert kinds["ExpectColumnValuesToBeInSet"] >= 1
    assert "ExpectCompoundColumnsToBeUnique" in kinds
    assert not report.success


def test_missing_column_is_an_error():
    frame = pd.DataFrame([obs()]).drop(columns=["raw_text"])
    report = validate(frame, build_suite("public_service", "10549", "2025-08"), "t")
    assert any(f.expectation == "ExpectTableColumnsToMatchSet" for f in report.failed)
    assert not report.success


def test_negative_revenue_is_only_a_warning():
    rows = [obs("REV_YTD", num=math.nan, den=math.nan, value=-5.0, member="I.9")]
    report = run(rows, source="tax")
    assert [f.severity for f in report.failed] == ["warning"]
    assert report.success


def test_empty_delivery_is_an_error():
    frame = pd.DataFrame(columns=list(obs().keys()))
    report = validate(frame, build_suite("health", "10549", "2025-08"), "t")
    assert not report.success
