"""Connectors: read the outside world (workbooks, CSV/JSON exports, the dossier API) into canonical frames.

Every source has one module exposing a reader (`path -> records DataFrame`) and an observation builder
(`(records, unit_code, period) -> observations DataFrame` with exactly the columns of docs/contracts.md).
`SOURCES` is the registry flows use: ``connectors.SOURCES["tax"].read(path)``. Generic pieces: `excel`
(one spreadsheet reader driven by `layouts/<source>.yaml`), `rest` (status -> error map, retries), `vn`
(Vietnamese numbers, units, dates, text), `legacy` (TCVN3/VNI fonts), `textfile` (UTF-8/UTF-16, CSV, HTML
tables), `outline` (STT hierarchy), `inbox` (delivery path checks), `template` (the indicators fill-in
workbook). Errors: `connectors.errors`. No prefect, no SQL here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from connectors import education, errors, health, indicators, public_service, tax
from connectors.observations import OBSERVATION_COLUMNS


@dataclass(frozen=True)
class SourceSpec:
    """One source: how to read a delivered file and how to turn its records into observations."""

    code: str
    kind: str  # "file" (a workbook in the inbox) or "api" (pulled; `read` reads its file exports)
    read: Callable[..., pd.DataFrame]  # (path, period=None) -> records; period picks a sheet per month
    to_observations: Callable[[pd.DataFrame, str, str], pd.DataFrame]
    file_pattern: str  # the delivered file's name, `{period}` = YYYY-MM
    description: str = ""
    # (records, unit, period) -> the figures of OTHER periods the delivery carries (a cumulative
    # workbook's earlier months, its previous-year column); None when the source carries none
    carried: Callable[[pd.DataFrame, str, str], pd.DataFrame] | None = None

    @property
    def observations(self) -> Callable[[pd.DataFrame, str, str], pd.DataFrame]:
        """Alias of `to_observations`."""
        return self.to_observations

    def delivery_observations(self, records: pd.DataFrame, unit_code: str, period: str) -> pd.DataFrame:
        """Every figure of the delivery: the month's (`to_observations`) first, then the ones it carries
        for other periods (`carried`). What the flows validate and load."""
        own = self.to_observations(records, unit_code, period)
        if self.carried is None:
            return own
        extra = self.carried(records, unit_code, period)
        if extra.empty:
            return own
        return pd.concat([own, extra], ignore_index=True) if not own.empty else extra.reset_index(drop=True)


SOURCES: dict[str, SourceSpec] = {
    "tax": SourceSpec("tax", "file", tax.read_tax_workbook, tax.observations_from_tax,
                      "bao-cao-thu-nsnn-{period}.xlsx", "Báo cáo thu NSNN trên địa bàn"),
    "public_service": SourceSpec("public_service", "api", public_service.read_public_service_export,
                                 public_service.observations_from_public_service, "ho-so-{period}.json",
                                 "Hồ sơ TTHC một cửa (API; exports .json/.csv; Biểu 06 .xlsx)"),
    "health": SourceSpec("health", "file", health.read_health_workbook, health.observations_from_health,
                         "y-te-{period}.xlsx", "Trạm y tế: tiêu chí quốc gia, sơ tuyển NVQS"),
    "education": SourceSpec("education", "file", education.read_education_workbook,
                            education.observations_from_education, "truong-hoc-{period}.xlsx",
                            "Danh sách trường, công nhận chuẩn quốc gia"),
    "indicators": SourceSpec("indicators", "file", indicators.read_indicators_workbook,
                             indicators.observations_from_indicators, "chi-tieu-khac-{period}.xlsx",
                             "Biểu theo dõi các chỉ tiêu kinh tế - xã hội khác",
                             carried=indicators.carried_observations_from_indicators),
}

__all__ = ["OBSERVATION_COLUMNS", "SOURCES", "SourceSpec", "errors"]
