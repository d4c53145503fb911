"""Prefect artifacts of the monthly close: a table and a markdown summary under stable keys, published
from inside a flow run under Prefect's test harness and read back from the API."""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pytest

from flows.artifacts import artifact_key, attainment_rows, summary_markdown
from flows.monthly_close import SourceOutcome

pytestmark = [pytest.mark.prefect]
NAN = math.nan


def close_result(period="2025-10", with_attainment=True, unit="10549"):
    attainment = pd.DataFrame([
        {"target_code": "CT09", "name_vi": "Thu hút khách du lịch đạt 100.000 lượt khách", "display_unit": "lượt",
         "comparison": "at_least", "bound_low": 100000.0, "bound_high": NAN, "value": 94000.0, "status": "on_track",
         "outlook_value": 111828.4, "outlook_status": "on_track",
         "gap_text": "Cần thêm 6.000 lượt khách đến hết tháng 12"},
        {"target_code": "CT08b", "name_vi": "=cmd", "display_unit": "%", "comparison": "all", "bound_low": NAN,
         "bound_high": NAN, "value": 99.6, "status": "behind", "outlook_value": 99.6, "outlook_status": "not_met",
         "gap_text": "Không còn khả năng đạt 100% trong năm: lũy kế đã có 4 hồ sơ trễ hạn"},
    ])
    return {"period": period, "unit_code": unit,
            "sources": {"tax": SourceOutcome("tax", "loaded", 58, 7),
                        "health": SourceOutcome("health", "quarantined", 0, 8, "bad | header")},
            "attainment": attainment if with_attainment else None}


@pytest.mark.parametrize(("kind", "unit", "year", "key"), [
    ("attainment", "10549", 2025, "attainment-10549-2025"),
    ("close-summary", "10549", "2025", "close-summary-10549-2025"),
    ("Attainment", "HP_31", 2025, "attainment-hp-31-2025"),
])
def test_artifact_keys_are_lowercase_letters_digits_and_dashes(kind, unit, year, key):
    assert artifact_key(kind, unit, year) == key
    assert re.fullmatch(r"[a-z0-9-]+", key)


def test_table_rows_in_vietnamese():
    rows = attainment_rows(close_result()["attainment"])
    assert [r["Mã"] for r in rows] == ["CT08b", "CT09"]
    assert rows[1] == {"Mã": "CT09", "Chỉ tiêu": "Thu hút khách du lịch đạt 100.000 lượt khách",
                       "Kế hoạch": "≥ 100.000", "Thực hiện": "94.000", "Đánh giá": "Đúng tiến độ",
                       "Dự báo cả năm": "111.828", "Triển vọng": "Dự kiến đạt",
                       "Còn cần": "Cần thêm 6.000 lượt khách đến hết tháng 12"}
    assert rows[0]["Chỉ tiêu"] == "'=cmd" and rows[0]["Triển vọng"] == "Không đạt"


def test_summary_markdown():
    text = summary_markdown(close_result())
    assert text.startswith("# Khóa sổ tháng 10/2025 — đơn vị 10549")
    assert "| health | bị cách ly | 0 | bad / header |" in text
    assert "- Đúng tiến độ: 1" in text and "- Chậm tiến độ: 1" in text
    assert "**CT08b** Chậm tiến độ; dự báo: Không đạt. Không còn khả năng" in text
    assert "CT09**" not in text  # on track in both: needs no attention
    baseline = summary_markdown(close_result("2024-10", with_attainment=False))
    assert "Năm cơ sở" in baseline


def test_artifacts_are_published_from_a_flow_run(prefect_harness):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.artifacts import publish_close_artifacts

    @flow(name="artifact-check")
    def publish(result: dict) -> None:
        publish_close_artifacts(result)

    # a unit of its own: the session's harness also holds the monthly-close tests' artifacts
    publish(close_result("2025-09", unit="99999"))
    publish(close_result("2025-10", unit="99999"))
    with get_client(sync_client=True) as client:
        tables = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["attainment-99999-2025"])))
        summaries = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["close-summary-99999-2025"])))
    # one version per run under the same key, each attached to its flow run
    assert len(tables) == 2 and len(summaries) == 2
    assert {a.type for a in tables} == {"table"} and {a.type for a in summaries} == {"markdown"}
    assert all(a.flow_run_id is not None for a in tables + summaries)
    assert any("Khóa sổ tháng 10/2025" in a.data for a in summaries)
    table = [json.loads(a.data) if isinstance(a.data, str) else a.data for a in tables]
    assert all(any(row["Còn cần"] == "Cần thêm 6.000 lượt khách đến hết tháng 12" for row in t) for t in table)
