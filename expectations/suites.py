"""Expectation suites, one per dataset, defined in code and reviewed like code.

A suite is a list of `Check`: a Great Expectations expectation class name, its keyword arguments and a
severity. `error` blocks the load (the delivery is quarantined); `warning` loads and flags.

Every dataset validated here is the *observations* frame a connector hands to the warehouse (columns in
docs/contracts.md), so the checks name indicators, members and lineage uniformly across sources.
Source-specific record checks (parent row = sum of children, received = online + in person …) grow here
per dataset (issue "Validation with Great Expectations").
"""

from __future__ import annotations

from dataclasses import dataclass, field

OBSERVATION_COLUMNS = [
    "indicator_code", "unit_code", "period", "member_code", "value", "numerator", "denominator",
    "text_value", "source_file", "sheet", "row_number", "column_name", "raw_text",
]


@dataclass(frozen=True)
class Check:
    """One expectation of a suite: GX class name, its kwargs, severity and a Vietnamese description."""

    expectation: str
    kwargs: dict = field(default_factory=dict)
    severity: str = "error"
    description_vi: str = ""


def _common(indicators: list[str], unit_code: str, period: str) -> list[Check]:
    return [
        Check("ExpectTableColumnsToMatchSet", {"column_set": OBSERVATION_COLUMNS, "exact_match": True},
              description_vi="Đúng các cột quan sát"),
        Check("ExpectTableRowCountToBeBetween", {"min_value": 1},
              description_vi="Có ít nhất một số liệu"),
        Check("ExpectColumnValuesToBeInSet", {"column": "indicator_code", "value_set": indicators},
              description_vi="Mã chỉ tiêu thuộc danh mục của nguồn"),
        Check("ExpectColumnValuesToNotBeNull", {"column": "indicator_code"},
              description_vi="Mã chỉ tiêu không được trống"),
        Check("ExpectColumnValuesToBeInSet", {"column": "unit_code", "value_set": [unit_code]},
              description_vi="Đúng đơn vị hành chính của lần giao nộp"),
        Check("ExpectColumnValuesToBeInSet", {"column": "period", "value_set": [period]},
              description_vi="Đúng kỳ báo cáo của lần giao nộp"),
        Check("ExpectCompoundColumnsToBeUnique",
              {"column_list": ["indicator_code", "unit_code", "period", "member_code"]},
              description_vi="Không trùng chỉ tiêu × đơn vị × kỳ × thành phần"),
        Check("ExpectColumnValuesToBeBetween", {"column": "numerator", "min_value": 0},
              description_vi="Tử số không âm"),
        Check("ExpectColumnValuesToBeBetween", {"column": "denominator", "min_value": 0},
              description_vi="Mẫu số không âm"),
        Check("ExpectColumnPairValuesAToBeGreaterThanB",
              {"column_A": "denominator", "column_B": "numerator", "or_equal": True,
               "ignore_row_if": "either_value_is_missing"},
              description_vi="Tử số không vượt mẫu số"),
    ]


_SOURCE_INDICATORS: dict[str, list[str]] = {
    "tax": ["REV_MONTH", "REV_YTD", "REV_PRIOR_YTD", "REV_ESTIMATE_STATE", "REV_ESTIMATE_COUNCIL"],
    "public_service": ["DOSSIER_ONLINE", "DOSSIER_ON_TIME", "DOSSIER_FEE_ONLINE"],
    "health": ["HEALTH_STATION_STANDARD", "NVQS_PRESCREEN"],
    "education": ["SCHOOL_STANDARD"],
    "indicators": ["TGTSP", "TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV", "TNBQ", "HO_NGHEO", "GDVH",
                   "TDP_VH", "LUOT_KHACH", "NUOC_SACH", "CTR_SH", "ANTT"],
}


def source_indicators(source_code: str) -> list[str]:
    """The indicator codes a source may deliver."""
    return list(_SOURCE_INDICATORS[source_code])


def build_suite(source_code: str, unit_code: str, period: str) -> list[Check]:
    """The checks for one delivery of `source_code` for (unit, period)."""
    if source_code not in _SOURCE_INDICATORS:
        raise KeyError(f"no expectation suite for source {source_code!r}")
    checks = _common(_SOURCE_INDICATORS[source_code], unit_code, period)
    if source_code == "tax":
        checks.append(Check("ExpectColumnValuesToBeBetween", {"column": "value", "min_value": 0},
                            severity="warning", description_vi="Số thu không âm"))
    else:
        checks.append(Check("ExpectColumnValuesToBeBetween", {"column": "value", "min_value": 0},
                            description_vi="Giá trị không âm"))
    return checks
