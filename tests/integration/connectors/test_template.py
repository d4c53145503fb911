"""`thidua template`: written, filled by a script (openpyxl) and through LibreOffice, read back to the same values.

Filled figures (by hand): month 3 of 2025. TGTSP sectors 20.000,1 / 160.000,2 / 180.000,3 million VND
(TGTSP is a formula: 360.000,6); TNBQ 80,5; HO_NGHEO 108 / 15.560 households (the % is a formula:
ROUND(108/15560*100, 2) = 0,69); LUOT_KHACH 12.345; ANTT "Giữ vững".
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from connectors.indicators import observations_from_indicators, read_indicators_workbook

FILLED = {"TGTSP_NLTS": 20000.1, "TGTSP_CNXD": 160000.2, "TGTSP_TMDV": 180000.3, "TNBQ": 80.5,
          "HO_NGHEO_TS": 108, "HO_NGHEO_MS": 15560, "LUOT_KHACH": 12345, "ANTT": "Giữ vững"}
MONTH_COLUMN = 7 + 3 - 1  # G = Tháng 1, so Tháng 3 is column I


def _template(tmp_path) -> Path:
    from flows.cli import app

    out = tmp_path / "chi-tieu-khac-2025.xlsx"
    result = CliRunner().invoke(app, ["template", "--year", "2025", "--unit", "10549", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _fill(template: Path, out: Path) -> Path:
    wb = load_workbook(template)
    ws = wb["Chỉ tiêu"]
    rows = {ws.cell(row=r, column=2).value: r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=2).value}
    for code, value in FILLED.items():
        ws.cell(row=rows[code], column=MONTH_COLUMN, value=value)
    wb.save(out)
    return out


def _observations(path):
    obs = observations_from_indicators(read_indicators_workbook(path), "10549", "2025-03")
    return obs.set_index("indicator_code")


def test_template_layout_protection_and_validation(tmp_path):
    wb = load_workbook(_template(tmp_path))
    assert wb.sheetnames == ["Chỉ tiêu", "Hướng dẫn"]
    ws = wb["Chỉ tiêu"]
    assert ws.protection.sheet is True
    assert ws["A7"].value == "STT" and ws["G7"].value == "Thực hiện" and ws["I8"].value == "Tháng 3"
    assert ws["T7"].value == "Trạng thái số liệu"
    rows = {ws.cell(row=r, column=2).value: r for r in range(1, ws.max_row + 1)}
    assert ws.cell(row=rows["HO_NGHEO"], column=9).value.startswith("=IF(AND(ISNUMBER(I")
    assert ws.cell(row=rows["HO_NGHEO"], column=9).protection.locked is True       # formula locked
    assert ws.cell(row=rows["HO_NGHEO"], column=3).protection.locked is True       # label locked
    assert ws.cell(row=rows["HO_NGHEO_TS"], column=9).protection.locked is False   # input open
    kinds = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert set(kinds) == {"decimal", "list"}
    lists = sorted(dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list")
    assert lists == ['"Giữ vững,Không giữ vững"', '"Ước tính,Chính thức"']
    assert wb["Hướng dẫn"]["A1"].value.startswith("HƯỚNG DẪN ĐIỀN")


def test_template_refuses_to_overwrite(tmp_path):
    from flows.cli import app

    out = _template(tmp_path)
    result = CliRunner().invoke(app, ["template", "--year", "2025", "--out", str(out)])
    assert result.exit_code == 2 and "already exists" in result.output


def test_filled_by_script_and_through_libreoffice_ingest_the_same(tmp_path):
    filled = _fill(_template(tmp_path), tmp_path / "filled.xlsx")
    by_script = _observations(filled)
    want = {"TGTSP_NLTS": 20_000_100_000.0, "TGTSP_CNXD": 160_000_200_000.0, "TGTSP_TMDV": 180_000_300_000.0,
            "TGTSP": 360_000_600_000.0, "TNBQ": 80_500_000.0, "LUOT_KHACH": 12345.0, "ANTT": 1.0}
    for code, value in want.items():
        assert by_script.loc[code, "value"] == pytest.approx(value, rel=0, abs=1e-3), code
    assert by_script.loc["HO_NGHEO", ["value", "numerator", "denominator"]].tolist() == [0.69, 108.0, 15560.0]
    assert by_script.loc["ANTT", "text_value"] == "Giữ vững"
    assert sorted(by_script.index) == sorted([*want, "HO_NGHEO"])

    # the filled workbook saved again by LibreOffice (recalculated, its own styles and shared strings)
    _same(by_script, _observations(_through_libreoffice(filled, tmp_path)))
    # the empty template opened and saved by LibreOffice, then filled: the form survives the round trip
    saved_by_lo = _through_libreoffice(tmp_path / "chi-tieu-khac-2025.xlsx", tmp_path)
    ws = load_workbook(saved_by_lo)["Chỉ tiêu"]
    assert ws.protection.sheet is True
    assert sorted(dv.type for dv in ws.data_validations.dataValidation) == ["decimal", "list", "list"]
    refilled = _fill(saved_by_lo, tmp_path / "filled-after-lo.xlsx")
    _same(by_script, _observations(refilled))


def _through_libreoffice(path: Path, tmp_path: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is required for this test (CI installs it)"
    out = tmp_path / f"lo-{path.stem}"
    out.mkdir()
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    return out / path.name


def _same(by_script, other):
    cols = ["value", "numerator", "denominator", "text_value", "row_number", "column_name"]
    left = by_script[cols].sort_index()
    right = other[cols].sort_index()
    assert left.index.tolist() == right.index.tolist()
    for code in left.index:
        for col in cols:
            a, b = left.loc[code, col], right.loc[code, col]
            if isinstance(a, float):
                assert a == pytest.approx(b, rel=0, abs=1e-3) or (a != a and b != b), (code, col)
            else:
                assert a == b, (code, col)
