"""The committed corpus of real-world file variants (tests/data/make_corpus.py): exact values or exact errors.

Every tax case is the same report in million VND (make_corpus.ROWS); the figures below are written by
hand from it, never computed by a connector: Lũy kế of TỔNG 1.250,5, of item 1 1.200,5, of item 3 0;
Pháp lệnh of item 3 34,5 and of item 2 `-`; % cùng kỳ of item 3 -12,5.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from connectors.errors import BadInputError
from connectors.excel import Workbook, read_workbook, sniff_format
from connectors.layout import LAYOUT_DIR, parse_layout
from connectors.public_service import observations_from_public_service, read_public_service_export
from connectors.tax import observations_from_tax, read_tax_workbook

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
MEMBERS = ["TONG", "I", "I.1", "I.1.1", "I.1.1.a", "I.1.1.a.-1", "I.2", "I.3", "II"]
LEVELS = [0, 1, 2, 3, 4, 5, 2, 2, 1]
PARENTS = [None, "TONG", "I", "I.1", "I.1.1", "I.1.1.a", "I", "I", None]
LUY_KE_MILLION = [1250.5, 1250.5, 1200.5, 100, 60, 40, 50, 0, 400]
LABEL_ITEM_1 = "Thuế thu nhập cá nhân"
LABEL_ITEM_2 = "Thu từ quỹ đất công ích, hoa lợi công sản"


def _corpus_script():
    """tests/data/make_corpus.py as a module (a script, not a package member)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS.parent / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_has_at_least_25_cases():
    assert len(list(CORPUS.iterdir())) >= 25


def _check_baseline(records, factor=1e6):
    assert records["member_code"].tolist() == MEMBERS
    assert records["level"].tolist() == LEVELS
    assert records["parent_code"].tolist() == PARENTS
    assert records["luy_ke_vnd"].tolist() == [round(x * factor, 4) for x in LUY_KE_MILLION]
    by = records.set_index("member_code")
    assert by.loc["I.1", "label"] == LABEL_ITEM_1
    assert by.loc["I.2", "label"] == LABEL_ITEM_2
    assert math.isnan(by.loc["I.2", "du_toan_phap_lenh_vnd"])      # '-' is no figure, never 0
    assert math.isnan(by.loc["I.3", "du_toan_hdnd_vnd"])           # blank is no figure
    assert by.loc["I.3", "luy_ke_vnd"] == 0.0                      # a real zero stays 0
    assert by.loc["I.3", "du_toan_phap_lenh_vnd"] == round(34.5 * factor, 4)
    assert by.loc["I.3", "tl_so_cung_ky_pct"] == -12.5             # % never converted by the unit
    assert by.loc["I.1", "row_number"] == 12


@pytest.mark.parametrize(("case", "fmt", "encoding"), [
    ("tax_xlsx_baseline.xlsx", "xlsx", "unicode"),
    ("tax_xlsx_named_xls.xls", "xlsx", "unicode"),       # an xlsx zip named .xls: sniffed, not trusted
    ("tax_biff8.xls", "xls", "unicode"),                 # legacy BIFF8 written by LibreOffice
    ("tax_html_named_xls.xls", "html", "unicode"),       # an HTML table served as .xls, numbers as text
    ("tax_csv_utf8_bom.csv", "csv", "unicode"),
    ("tax_csv_utf16_tab.csv", "csv", "unicode"),         # Excel "Unicode text": UTF-16 with BOM, tabs
    ("tax_text_nfd.xlsx", "xlsx", "unicode"),            # every text in NFD
    ("tax_font_tcvn3.xlsx", "xlsx", "tcvn3"),            # typed with .VnTime: converted and reported
    ("tax_font_vni.xlsx", "xlsx", "vni"),                # typed with VNI-Times: converted and reported
    ("tax_numbers_as_vi_text.xlsx", "xlsx", "unicode"),  # 1.250,5 / (12,5) as text cells
    ("tax_ruler_parenthesised.xlsx", "xlsx", "unicode"),  # ruler (1) (2) … (11)
])
def test_file_variants_read_to_the_same_report(case, fmt, encoding):
    path = CORPUS / case
    assert sniff_format(path) == fmt
    records = read_tax_workbook(path)
    _check_baseline(records)
    assert records.attrs["text_encoding"] == encoding
    assert records.attrs["period"] == "2025-12"


def test_legacy_font_keeps_the_raw_text_and_converts_the_rest():
    records = read_tax_workbook(CORPUS / "tax_font_tcvn3.xlsx").set_index("member_code")
    assert records.loc["I.1", "label"] == LABEL_ITEM_1
    assert records.loc["I.1", "raw_cells"]["label"] == "ThuÕ thu nhËp c¸ nh©n"   # as found in the cell
    vni = read_tax_workbook(CORPUS / "tax_font_vni.xlsx").set_index("member_code")
    assert vni.loc["I.1", "raw_cells"]["label"] == "Thueá thu nhaäp caù nhaân"


def test_lineage_down_to_the_cell():
    records = read_tax_workbook(CORPUS / "tax_numbers_as_vi_text.xlsx")
    obs = observations_from_tax(records, "10549", "2025-12").set_index(["indicator_code", "member_code"])
    row = obs.loc[("REV_YTD", "TONG")]
    assert (row["value"], row["source_file"], row["sheet"], row["row_number"], row["column_name"],
            row["raw_text"]) == (1_250_500_000.0, "tax_numbers_as_vi_text.xlsx", "Thu NSNN", 10,
                                 "Lũy kế từ đầu năm", "1.250,5")
    assert ("REV_ESTIMATE_STATE", "I.2") not in obs.index and ("REV_MONTH", "I.2") not in obs.index


@pytest.mark.parametrize(("case", "factor"), [
    ("tax_unit_trieu_dong_lowercase.xlsx", 1e6), ("tax_unit_tr_dong_abbrev.xlsx", 1e6),
    ("tax_unit_tieu_dong_misspelt.xlsx", 1e6), ("tax_unit_trieu_dong_no_accent_d.xlsx", 1e6),
    ("tax_unit_nghin_dong.xlsx", 1e3), ("tax_unit_1000_dong.xlsx", 1e3), ("tax_unit_1000000_dong.xlsx", 1e6),
    ("tax_unit_ty_dong.xlsx", 1e9), ("tax_unit_dong.xlsx", 1.0), ("tax_unit_parenthesised.xlsx", 1e6),
    ("tax_unit_nfd.xlsx", 1e6), ("tax_unit_bare_don_vi_money.xlsx", 1e6), ("tax_unit_trieu_vnd.xlsx", 1e6),
])
def test_unit_line_spellings_convert_money_to_vnd(case, factor):
    _check_baseline(read_tax_workbook(CORPUS / case), factor)


@pytest.mark.parametrize("case", ["tax_unit_line_missing.xlsx", "tax_unit_line_names_organisation.xlsx"])
def test_a_report_without_a_money_unit_is_refused(case):
    with pytest.raises(BadInputError) as info:
        read_tax_workbook(CORPUS / case)
    assert str(info.value) == (f"tax file {case}, sheet 'Thu NSNN', row 6: found 'no unit line', "
                               "expected a line 'Đơn vị tính: …' above the header")


def test_text_in_a_money_cell_is_refused_naming_the_cell():
    with pytest.raises(BadInputError) as info:
        read_tax_workbook(CORPUS / "tax_text_in_money_cell.xlsx")
    err = info.value
    assert (err.file, err.sheet, err.row, err.column, err.found, err.expected) == (
        "tax_text_in_money_cell.xlsx", "Thu NSNN", 12, "Lũy kế từ đầu năm", "1.200,5 tr", "a number")


def test_a_running_total_headed_luy_ke_alone_is_the_year_to_date_column():
    # "Lũy kế" is how many offices head the running total (issue 15): the same figures as the baseline's
    # "Lũy kế từ đầu năm", not a missing column.
    short = read_tax_workbook(CORPUS / "tax_column_missing.xlsx")
    baseline = read_tax_workbook(CORPUS / "tax_xlsx_baseline.xlsx")
    assert short.attrs["column_labels"]["luy_ke_vnd"] == "Lũy kế"
    assert short["luy_ke_vnd"].tolist() == baseline["luy_ke_vnd"].tolist()


def test_a_report_of_another_month_is_refused():
    records = read_tax_workbook(CORPUS / "tax_period_other_month.xlsx")
    with pytest.raises(BadInputError) as info:
        observations_from_tax(records, "10549", "2025-12")
    assert str(info.value) == ("tax file tax_period_other_month.xlsx, sheet 'Thu NSNN': found 'Tháng 11 năm 2025', "
                               "expected the report of 2025-12 (the delivery's month)")


def _tax_layout(numbers):
    import yaml
    data = yaml.safe_load((LAYOUT_DIR / "tax.yaml").read_text(encoding="utf-8"))
    data["sheets"]["thu_nsnn"]["numbers"] = numbers
    return parse_layout(data, "tax")


def test_ambiguous_1_250_follows_the_declared_convention_or_is_flagged():
    path = CORPUS / "tax_ambiguous_thousands.xlsx"   # item 3's Pháp lệnh typed as the text '1.250'
    vi = read_workbook(path, _tax_layout("vi"))["thu_nsnn"].records
    assert vi.loc[7, "du_toan_phap_lenh_vnd"] == 1_250_000_000.0
    en = read_workbook(path, _tax_layout("en"))["thu_nsnn"].records
    assert en.loc[7, "du_toan_phap_lenh_vnd"] == 1_250_000.0
    with pytest.raises(BadInputError) as info:
        read_workbook(path, _tax_layout("none"))
    err = info.value
    assert (err.sheet, err.row, err.column, err.found) == ("Thu NSNN", 17, "Dự toán năm 2025 / Pháp lệnh", "1.250")
    assert err.expected.startswith("an unambiguous number")


# ------------------------------------------------------------------------------- public service
def test_bieu06_three_row_header_gives_online_and_on_time():
    path = CORPUS / "bieu06_three_row_header.xlsx"
    records = read_public_service_export(path)
    obs = observations_from_public_service(records, "10549", "2025-12").set_index("indicator_code")
    assert sorted(obs.index) == ["DOSSIER_ONLINE", "DOSSIER_ON_TIME"]   # no fee column in Biểu 06
    # Tổng số row: trực tuyến 136, trực tiếp 199 (từ kỳ trước 15 not received in the month)
    assert obs.loc["DOSSIER_ONLINE", ["numerator", "denominator"]].tolist() == [136.0, 335.0]
    # đã giải quyết 328: trước hạn 214 + đúng hạn 103
    assert obs.loc["DOSSIER_ON_TIME", ["numerator", "denominator"]].tolist() == [317.0, 328.0]
    row = obs.loc["DOSSIER_ONLINE"]
    assert (row["sheet"], row["row_number"], row["column_name"], row["raw_text"]) == (
        "Biểu 06", 13, "Số hồ sơ nhận giải quyết / Trong đó / Trực tuyến", "136")


def test_bieu06_parts_that_do_not_add_up_are_refused():
    with pytest.raises(BadInputError) as info:
        read_public_service_export(CORPUS / "bieu06_parts_do_not_add_up.xlsx")
    err = info.value
    assert (err.sheet, err.row, err.column, err.found) == ("Biểu 06", 11, "Số hồ sơ nhận giải quyết / Tổng số", "200")
    assert err.expected.startswith("the sum of its parts, 190 (")


def test_bieu06_for_half_a_month_is_refused():
    records = read_public_service_export(CORPUS / "bieu06_half_month.xlsx")
    with pytest.raises(BadInputError, match="found 'Từ ngày 01/12/2025 đến ngày 15/12/2025', expected a report"):
        observations_from_public_service(records, "10549", "2025-12")


@pytest.mark.parametrize("case", ["dossiers_csv_utf8_bom.csv", "dossiers_csv_utf16_tab.csv"])
def test_dossier_csv_in_utf8_bom_and_utf16(case):
    records = read_public_service_export(CORPUS / case)
    # one row per dossier, ordered by MaHoSo; row_number is the CSV line (header = line 1)
    assert records["ma_ho_so"].tolist() == ["000.00.10549-251128-0004"] + [
        f"000.00.10549-2512{d}" for d in ("01-0001", "02-0002", "10-0003")]
    assert records["row_number"].tolist() == [5, 2, 3, 4]
    obs = observations_from_public_service(records, "10549", "2025-12").set_index("indicator_code")
    assert obs.loc["DOSSIER_ONLINE", ["numerator", "denominator"]].tolist() == [2.0, 3.0]
    assert obs.loc["DOSSIER_ON_TIME", ["numerator", "denominator"]].tolist() == [2.0, 3.0]
    assert obs.loc["DOSSIER_FEE_ONLINE", ["numerator", "denominator"]].tolist() == [1.0, 2.0]
    assert set(obs["source_file"]) == {case}


def test_dossier_csv_in_a_windows_code_page_is_refused():
    with pytest.raises(BadInputError) as info:
        read_public_service_export(CORPUS / "dossiers_csv_not_utf8.csv")
    assert str(info.value).startswith("public_service file dossiers_csv_not_utf8.csv: found 'bytes that are not "
                                      "utf-8 at byte ")
    assert str(info.value).endswith("expected text in UTF-8 (with or without BOM) or UTF-16")


def test_html_table_keeps_merged_header_ranges():
    with Workbook(CORPUS / "tax_html_named_xls.xls") as book:
        grid = book.grid("Table 1")
    assert ((6, 3), (6, 4)) in grid.merged and ((6, 0), (7, 0)) in grid.merged


def test_bieu06_without_total_adds_the_top_level_rows_only(tmp_path):
    from tests.unit.connectors.workbooks import write_workbook

    bieu06_sheet = _corpus_script().bieu06_sheet

    rows = [["I", "Cấp xã", 150, 50, 90, 10, 140, 100, 30, 10, 10, 10, 0],
            ["1", "Hộ tịch", 100, 30, 60, 10, 95, 70, 20, 5, 5, 5, 0],     # children of I: never added to I
            ["2", "Chứng thực", 50, 20, 30, 0, 45, 30, 10, 5, 5, 5, 0],
            ["II", "Khác", 10, 4, 6, 0, 10, 10, 0, 0, 0, 0, 0]]
    sheet, merges = bieu06_sheet(rows=rows)
    path = write_workbook(tmp_path / "bieu06.xlsx", {"Biểu 06": sheet}, {"Biểu 06": merges})
    obs = observations_from_public_service(read_public_service_export(path), "10549", "2025-12")
    obs = obs.set_index("indicator_code")
    # I + II: online 50 + 4 of (50 + 90) + (4 + 6); on time (100 + 30) + (10 + 0) of 140 + 10
    assert obs.loc["DOSSIER_ONLINE", ["numerator", "denominator"]].tolist() == [54.0, 150.0]
    assert obs.loc["DOSSIER_ON_TIME", ["numerator", "denominator"]].tolist() == [140.0, 150.0]
    assert obs["row_number"].isna().all()  # a sum of rows points at no single row


def test_indicator_outline_links_sub_rows_to_their_rate_row(tmp_path):
    from connectors.indicators import read_indicators_workbook
    from connectors.template import write_indicators_template

    records = read_indicators_workbook(write_indicators_template(tmp_path / "t.xlsx", 2025, "10549"))
    parents = records.attrs["parent_of"]
    assert parents["HO_NGHEO_TS"] == "HO_NGHEO" and parents["HO_NGHEO_MS"] == "HO_NGHEO"
    assert parents["TGTSP_NLTS"] == "TGTSP" and parents["TGTSP"] is None and parents["ANTT"] is None


def test_every_case_of_the_corpus_script_is_committed():
    stems = {p.stem for p in CORPUS.iterdir()}
    assert set(_corpus_script().cases()) | {"tax_biff8"} == stems
