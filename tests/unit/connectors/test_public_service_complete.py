"""Complete or refused (issue 16), the dossier connector's part: each dossier counted in its own month and
unit, a JSON export's `tong_so` against its records, absurd fees refused at the cell, Biểu 06's "Tổng số"
row against its rows, and every page of an API pull checked.

Every delivery is built here by hand; the expected counts are worked out in the comments, not by the code
under test.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from connectors.errors import BadInputError, RetriableSourceError, SchemaDriftError
from connectors.public_service import (
    PublicServiceClient,
    code_units,
    observations_from_public_service,
    read_dossier_export,
    read_public_service_export,
)
from connectors.rest import AnswerTooLargeError

from .test_rest import FakeResponse, FakeSession
from .workbooks import write_workbook

UNIT, PERIOD = "10549", "2025-10"
OWN, NEIGHBOUR = "UBND phường Chu Văn An", "UBND phường Trần Hưng Đạo"


def code(unit: str, day: str, n: int) -> str:
    """A dossier code of the national sync style: `000.00.<unit>-YYMMDD-NNNN`."""
    return f"000.00.{unit}-{day}-{n:04d}"


def dossier(ma, received, *, finished=None, rejected=None, due="25/10/2025 17:00:00", channel=2, office=OWN,
            fee=0, paid=False):
    return {"MaHoSo": ma, "MaTTHC": "1.001022", "TenTTHC": "Xác nhận tình trạng hôn nhân", "MaLinhVuc": "HT",
            "TenLinhVuc": "Hộ tịch", "MucDo": 4, "KenhThucHien": channel, "NgayTiepNhan": received,
            "NgayHenTra": due, "NgayKetThucXuLy": finished, "NgayTra": None, "NgayTuChoi": rejected,
            "TrangThaiHoSo": 10 if finished else 4, "DonViXuLy": office, "DuocThanhToanTrucTuyen": paid,
            "DanhSachLePhi": ([{"MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí", "Gia": fee, "HinhThucThu": "truc-tuyen"}]
                              if fee else [])}


# October 2025, by hand (positions in the file are 1-based):
#  1 O1 received 01/10 online, finished 03/10 (due 25/10): on time
#  2 O2 received 02/10 in person, open
#  3 O3 received 05/10 online, fee 20 000 paid online, open
#  4 O4 received 28/09, finished 02/10 (due 01/10): late, finished in October: belongs
#  5 S1 received 15/09, finished 20/09: September's, left out
#  6 S2 received 03/11: November's, left out
#  7 N1, 8 N2 of phường Trần Hưng Đạo (10570), received in October: another unit's, left out
# October: received O1 O2 O3 = 3, online O1 O3 = 2; finished O1 O4 = 2, on time O1 = 1; fee O3 = 1, paid 1.
OCTOBER = [
    dossier(code(UNIT, "251001", 1), "01/10/2025 08:00:00", finished="03/10/2025 10:00:00"),
    dossier(code(UNIT, "251002", 1), "02/10/2025 08:00:00", channel=1),
    dossier(code(UNIT, "251005", 1), "05/10/2025 08:00:00", fee=20000, paid=True),
    dossier(code(UNIT, "250928", 1), "28/09/2025 08:00:00", finished="02/10/2025 10:00:00", due="01/10/2025 17:00:00"),
    dossier(code(UNIT, "250915", 1), "15/09/2025 08:00:00", finished="20/09/2025 10:00:00"),
    dossier(code(UNIT, "251103", 1), "03/11/2025 08:00:00", due="20/11/2025 17:00:00"),
    dossier(code("10570", "251006", 1), "06/10/2025 08:00:00", office=NEIGHBOUR),
    dossier(code("10570", "251007", 1), "07/10/2025 08:00:00", office=NEIGHBOUR, channel=1),
]
KEPT = [OCTOBER[i]["MaHoSo"] for i in range(4)]


def json_export(tmp_path, records, *, total="count", name="ho-so-2025-10.json"):
    body = {"tong_so": len(records) if total == "count" else total, "du_lieu": records}
    if total is None:
        del body["tong_so"]
    path = tmp_path / name
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path


CSV_FIELDS = ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "MucDo", "KenhThucHien", "NgayTiepNhan",
              "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "TrangThaiHoSo", "DonViXuLy",
              "DuocThanhToanTrucTuyen", "TongPhiLePhi"]


def csv_export(tmp_path, records, name="ho-so-2025-10.csv", fee_text=None):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for i, r in enumerate(records):
        flat = {**r, "TongPhiLePhi": sum(f["Gia"] for f in r["DanhSachLePhi"])}
        if fee_text and i in fee_text:
            flat["TongPhiLePhi"] = fee_text[i]
        writer.writerow(["" if flat[k] is None else str(flat[k]).lower() if isinstance(flat[k], bool) else flat[k]
                         for k in CSV_FIELDS])
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    return path


def counts(records):
    obs = observations_from_public_service(records, UNIT, PERIOD).set_index("indicator_code")
    return {k: tuple(obs.loc[k, ["numerator", "denominator"]]) for k in obs.index}


WANT = {"DOSSIER_ONLINE": (2.0, 3.0), "DOSSIER_ON_TIME": (1.0, 2.0), "DOSSIER_FEE_ONLINE": (1.0, 1.0)}


# ------------------------------------------------------------------------ each dossier in its month and unit
@pytest.mark.parametrize("kind", ["json", "csv"])
def test_dossiers_of_other_months_and_units_are_left_out_and_reported(tmp_path, kind):
    path = (json_export if kind == "json" else csv_export)(tmp_path, OCTOBER)
    records = read_public_service_export(path, PERIOD, UNIT)
    assert sorted(records["ma_ho_so"]) == sorted(KEPT)
    assert counts(records) == WANT
    assert "don_vi_xu_ly" not in records.columns  # read to tell units, never a record column
    assert records.attrs["left_out"] == {"other_units": 2, "other_periods": 2}
    notes = {w["found"]: w for w in records.attrs["reader_warnings"]}
    assert set(notes) == {"2 dossiers of unit 10570", "1 dossiers received in 09/2025",
                          "1 dossiers received in 11/2025"}
    assert all(w["severity"] == "warning" and w["file"] == path.name for w in notes.values())
    first_row = 2 if kind == "csv" else 1  # a CSV row as a spreadsheet shows it; a JSON record's position
    neighbour = notes["2 dossiers of unit 10570"]["message_en"]
    assert f"{code('10570', '251006', 1)} (row {first_row + 6})" in neighbour
    assert f"{code('10570', '251007', 1)} (row {first_row + 7})" in neighbour
    assert f"DonViXuLy '{NEIGHBOUR}'" in neighbour and "not of unit 10549" in neighbour
    assert "bỏ ra 2 hồ sơ của đơn vị 10570" in notes["2 dossiers of unit 10570"]["message_vi"]
    september = notes["1 dossiers received in 09/2025"]["message_en"]
    assert f"{code(UNIT, '250915', 1)} (row {first_row + 4})" in september
    assert "neither received nor finished in 10/2025" in september


def test_without_a_unit_and_month_nothing_is_left_out(tmp_path):
    records = read_dossier_export(json_export(tmp_path, OCTOBER))
    assert len(records) == len(OCTOBER) and records.attrs["left_out"] == {"other_units": 0, "other_periods": 0}


def test_a_dossier_returned_in_the_month_belongs_to_it(tmp_path):
    # received 30/09, withdrawn 01/10 (NgayTuChoi), never finished: October's activity, not another month's
    withdrawn = dossier(code(UNIT, "250930", 1), "30/09/2025 08:00:00", rejected="01/10/2025 09:00:00")
    records = read_dossier_export(json_export(tmp_path, [*OCTOBER[:4], withdrawn]), PERIOD, UNIT)
    assert len(records) == 5 and records.attrs["reader_warnings"] == []
    assert counts(records) == WANT  # it counts for nothing in October


def test_a_file_mostly_of_another_unit_is_refused(tmp_path):
    others = [dossier(code("10570", "251010", n), "10/10/2025 08:00:00", office=NEIGHBOUR) for n in range(1, 5)]
    path = json_export(tmp_path, [*OCTOBER[:3], *others])
    with pytest.raises(BadInputError) as info:
        read_dossier_export(path, PERIOD, UNIT)
    message = str(info.value)
    assert message.startswith(f"public_service file {path.name}")
    assert "4 of the 7 dossiers are of unit 10570, not of unit 10549" in message


def test_a_file_mostly_of_another_month_is_refused(tmp_path):
    september = [dossier(code(UNIT, "250910", n), "10/09/2025 08:00:00", finished="12/09/2025 08:00:00")
                 for n in range(1, 4)]
    path = json_export(tmp_path, [OCTOBER[0], *september])
    with pytest.raises(BadInputError, match="3 of the 4 dossiers were neither received nor finished in 10/2025 "
                                            r"\(most were received in 09/2025\)"):
        read_dossier_export(path, PERIOD, UNIT)


def test_an_office_tells_the_unit_of_a_code_that_names_none(tmp_path):
    # codes of a province's own scheme name no unit; the office N1 (coded 10570) shows is phường Trần Hưng Đạo
    unnamed = [dossier("000.00.20.H56-251008-0001", "08/10/2025 08:00:00", office=NEIGHBOUR),
               dossier("000.00.20.H56-251008-0002", "08/10/2025 09:00:00", office=OWN),
               dossier("000.00.20.H56-251008-0003", "08/10/2025 10:00:00", office="Bộ phận một cửa")]
    records = read_dossier_export(json_export(tmp_path, [*OCTOBER[:4], OCTOBER[6], *unnamed]), PERIOD, UNIT)
    assert sorted(records["ma_ho_so"]) == sorted([*KEPT, unnamed[1]["MaHoSo"], unnamed[2]["MaHoSo"]])
    (note,) = records.attrs["reader_warnings"]
    assert note["found"] == "2 dossiers of unit 10570" and unnamed[0]["MaHoSo"] in note["message_en"]


def test_code_units_reads_sorted_and_unsorted_codes_alike():
    import numpy as np

    codes = [code(UNIT, "251001", 1), code(UNIT, "251001", 2), code("10570", "251001", 1), "A-1", "B",
             "000.00.20.H56-251008-0001"]
    want = {c: u for c, u in zip(codes, [UNIT, UNIT, "10570", None, None, None], strict=True)}
    for order in (sorted(codes), codes[::-1]):
        got = code_units(np.array(order, dtype=object))
        assert dict(zip(order, got, strict=True)) == want


# ------------------------------------------------------------------------------------------- exports' totals
def test_a_json_export_whose_tong_so_disagrees_with_its_records_is_refused_naming_both(tmp_path):
    path = json_export(tmp_path, OCTOBER[:4], total=99_999)
    with pytest.raises(BadInputError) as info:
        read_dossier_export(path, PERIOD, UNIT)
    (problem,) = info.value.problems
    assert (problem.column, problem.found) == ("tong_so", "99999")
    assert "the file declares 99999 and lists 4 (-99995)" in problem.message_en()
    assert "tệp khai 99999 nhưng có 4 hồ sơ" in problem.message_vi()


def test_a_wrong_tong_so_is_listed_with_every_other_problem(tmp_path):
    bad = dict(OCTOBER[1], KenhThucHien="qua Zalo")
    with pytest.raises(BadInputError) as info:
        read_dossier_export(json_export(tmp_path, [OCTOBER[0], bad], total=3), PERIOD, UNIT)
    assert [p.column for p in info.value.problems] == ["tong_so", "KenhThucHien"]


@pytest.mark.parametrize("total", [4, "4", 4.0, None])
def test_a_tong_so_that_counts_the_records_or_none_reads(tmp_path, total):
    records = read_dossier_export(json_export(tmp_path, OCTOBER[:4], total=total), PERIOD, UNIT)
    assert len(records) == 4


def test_a_tong_so_that_is_not_a_number_is_refused(tmp_path):
    with pytest.raises(BadInputError, match="column 'tong_so': found 'nhiều', expected tong_so as the number"):
        read_dossier_export(json_export(tmp_path, OCTOBER[:4], total="nhiều"), PERIOD, UNIT)


def test_empty_exports_read_as_an_empty_month(tmp_path):
    empty_json = json_export(tmp_path, [])
    header_only = tmp_path / "ho-so-2025-10.csv"
    header_only.write_bytes(b"\xef\xbb\xbf" + ",".join(CSV_FIELDS).encode() + b"\r\n")
    for path in (empty_json, header_only):
        records = read_dossier_export(path, PERIOD, UNIT)
        assert len(records) == 0
        assert counts(records) == {k: (0.0, 0.0) for k in WANT}


# --------------------------------------------------------------------------------------- absurd amounts
@pytest.mark.parametrize(("fee", "shown"), [(1e308, "1e+308"), (float("inf"), "Infinity"), (float("nan"), "NaN"),
                                            (2e12, "2000000000000.0")])
@pytest.mark.parametrize("field", ["TongPhiLePhi", "DanhSachLePhi"])
def test_an_absurd_fee_in_a_json_export_is_refused_at_its_cell(tmp_path, fee, shown, field):
    bad = dict(OCTOBER[2])
    if field == "TongPhiLePhi":
        del bad["DanhSachLePhi"]
        bad["TongPhiLePhi"] = fee
    else:
        bad["DanhSachLePhi"] = [{"MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí", "Gia": fee, "HinhThucThu": None}]
    path = tmp_path / "ho-so-2025-10.json"
    path.write_text(json.dumps({"tong_so": 2, "du_lieu": [OCTOBER[0], bad]}), encoding="utf-8")  # NaN, Infinity
    with pytest.raises(BadInputError) as info:
        read_dossier_export(path, PERIOD, UNIT)
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (2, field)
    assert shown in str(problem.found) and "at most 1,000,000,000,000" in problem.expected


@pytest.mark.parametrize("typed", ["1e308", "inf", "NaN", "2.000.000.000.000"])
def test_an_absurd_fee_in_a_csv_export_is_refused_at_its_cell(tmp_path, typed):
    path = csv_export(tmp_path, OCTOBER[:4], fee_text={2: typed})
    with pytest.raises(BadInputError) as info:
        read_dossier_export(path, PERIOD, UNIT)
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.letter, problem.found) == (4, "TongPhiLePhi", "P", typed)


def test_the_largest_fee_allowed_reads(tmp_path):
    records = read_dossier_export(csv_export(tmp_path, OCTOBER[:4], fee_text={2: "1.000.000.000.000"}), PERIOD, UNIT)
    assert records["tong_phi_le_phi"].max() == 1e12


# ------------------------------------------------------------------------------------------------ Biểu 06
TOP = ["STT", "Lĩnh vực, công việc giải quyết theo cấp", "Số hồ sơ nhận giải quyết", None, None, None,
       "Số hồ sơ đã giải quyết", None, None, None, "Số lượng hồ sơ đang giải quyết", None, None]
MID = [None, None, "Tổng số", "Trong đó", None, None, "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn", "Tổng số",
       "Trong hạn", "Quá hạn"]
LOW = [None, None, None, "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước", None, None, None, None,
       None, None, None]
MERGES = ["A6:A8", "B6:B8", "C6:F6", "G6:J6", "K6:M6", "C7:C8", "D7:F7", "G7:G8", "H7:H8", "I7:I8", "J7:J8",
          "K7:K8", "L7:L8", "M7:M8"]
# each row adds up within itself: received = online + in person + carried over; resolved = early + on time + late
ROWS = [["1", "Hộ tịch", 120, 90, 25, 5, 110, 60, 45, 5, 10, 9, 1],
        ["2", "Chứng thực", 200, 40, 160, 0, 200, 150, 50, 0, 0, 0, 0],
        ["3", "Đất đai", 30, 6, 14, 10, 18, 4, 8, 6, 12, 7, 5]]
TOTAL = [None, "Tổng số", 350, 136, 199, 15, 328, 214, 103, 11, 22, 16, 6]   # the rows' sums
TOTAL_ROW = 13  # 5 lines of title block, 3 header rows, the ruler, 3 rows


def bieu06(tmp_path, rows, name="bieu-06-2025-10.xlsx"):
    sheet = [["UBND PHƯỜNG CHU VĂN AN", None, None, None, None, None, None, "Biểu số 06/VPCP/KSTT"], [],
             ["TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"],
             ["(Từ ngày 01/10/2025 đến ngày 31/10/2025)"], [None] * 10 + ["Đơn vị tính: Số hồ sơ TTHC"],
             TOP, MID, LOW, [str(i) for i in range(1, 14)], *rows, [], ["Người lập biểu"]]
    return write_workbook(tmp_path / name, {"Biểu 06": sheet}, {"Biểu 06": MERGES})


def test_a_bieu06_total_that_agrees_with_its_rows_loads(tmp_path):
    records = read_public_service_export(bieu06(tmp_path, [*ROWS, TOTAL]), PERIOD)
    got = counts(records)
    assert got["DOSSIER_ONLINE"] == (136.0, 335.0) and got["DOSSIER_ON_TIME"] == (317.0, 328.0)


def test_a_bieu06_total_that_disagrees_with_its_rows_is_refused_at_the_total(tmp_path):
    # the case: the "Tổng số" row adds up within itself (online and in person swapped: 199 + 136 + 15 =
    # 350), so it passes the row check, but says 199 / 335 = 59.4 % online where the rows say 136 / 335 = 40.6 %
    swapped = TOTAL[:3] + [199, 136] + TOTAL[5:]
    with pytest.raises(BadInputError) as info:
        read_public_service_export(bieu06(tmp_path, [*ROWS, swapped]), PERIOD)
    online, in_person = info.value.problems
    assert (online.sheet, online.row, online.letter, online.found) == ("Biểu 06", TOTAL_ROW, "D", "199")
    assert online.column == "Số hồ sơ nhận giải quyết / Trong đó / Trực tuyến"
    assert online.expected.startswith("the sum of the rows STT 1–3 (3 rows), 136; difference +63")
    assert (in_person.letter, in_person.found) == ("E", "136")
    assert "199; difference -63" in in_person.expected and "chênh -63" in in_person.message_vi()


def test_every_problem_of_a_bieu06_is_listed_at_once(tmp_path):
    bad_row = ["2", "Chứng thực", 200, 40, 150, 0, 200, 150, 50, 0, 0, 0, 0]   # 40 + 150 + 0 = 190, not 200
    total = TOTAL[:10] + [99, 16, 6]  # pending 22 written 99 (the rows' pending add up to 22)
    with pytest.raises(BadInputError) as info:
        read_public_service_export(bieu06(tmp_path, [ROWS[0], bad_row, ROWS[2], total]), PERIOD)
    where = [(p.row, p.letter) for p in info.value.problems]
    # row 11: received 200 vs its parts; total row: in person 199 vs the rows' 189, pending 99 vs the rows' 22
    assert where == [(11, "C"), (TOTAL_ROW, "E"), (TOTAL_ROW, "K")]


def test_a_bieu06_total_is_compared_with_the_top_level_rows_only(tmp_path):
    rows = [["I", "Cấp xã", 150, 50, 90, 10, 140, 100, 30, 10, 10, 10, 0],
            ["1", "Hộ tịch", 100, 30, 60, 10, 95, 70, 20, 5, 5, 5, 0],       # children of I
            ["2", "Chứng thực", 50, 20, 30, 0, 45, 30, 10, 5, 5, 5, 0],
            ["II", "Khác", 10, 4, 6, 0, 10, 10, 0, 0, 0, 0, 0]]
    total = [None, "Tổng số", 160, 54, 96, 10, 150, 110, 30, 10, 10, 10, 0]     # I + II
    assert counts(read_public_service_export(bieu06(tmp_path, [*rows, total]), PERIOD))["DOSSIER_ONLINE"] == (
        54.0, 150.0)
    double = [None, "Tổng số", 310, 104, 186, 20, 290, 210, 60, 20, 20, 20, 0]   # I + 1 + 2 + II: counted twice
    with pytest.raises(BadInputError) as info:
        read_public_service_export(bieu06(tmp_path, [*rows, double], "double.xlsx"), PERIOD)
    assert {p.letter for p in info.value.problems} == set("CDEFGHIJKL")
    assert "the sum of the rows STT I–II (2 rows), 160" in info.value.problems[0].expected


def test_a_blank_total_cell_is_not_compared(tmp_path):
    total = TOTAL[:10] + [None, None, None]
    records = read_public_service_export(bieu06(tmp_path, [*ROWS, total]), PERIOD)
    assert len(records) == 4


# ------------------------------------------------------------------------------------- the API's pages
def page(records, number, size, total=None):
    return FakeResponse(200, {"tong_so": len(records) if total is None else total, "trang": number,
                              "so_ban_ghi": size, "du_lieu": records})


def client(answers, **kw):
    session = FakeSession(answers)
    return PublicServiceClient("http://h:1", "TOKEN", page_size=2, session=session, sleep=lambda s: None, **kw), session


EMPTY = [page([], 1, 2)]  # the ket_thuc query of a month with nothing finished
A, B, C, D, E = OCTOBER[:3] + [dossier(code(UNIT, "251009", n), "09/10/2025 08:00:00") for n in (1, 2)]


def trang(session):
    return [(c["params"]["loc_theo"], c["params"]["trang"]) for c in session.calls]


def test_one_record_repeated_at_a_page_start_is_tolerated():
    # records added while paging shift the pages by one: page 2 starts with page 1's last record again
    pages = [page([A, B], 1, 2, 5), page([B, C], 2, 2, 5), page([D, E], 3, 2, 5)]
    records, _ = client(pages + EMPTY)[0].fetch_month(UNIT, PERIOD)
    assert sorted(records["ma_ho_so"]) == sorted(r["MaHoSo"] for r in (A, B, C, D, E))


def test_a_server_that_ignores_the_page_number_is_refused_naming_the_page():
    pages = [page([A, B], 1, 2, 5), page([A, B], 2, 2, 5)]
    c, session = client(pages)
    with pytest.raises(SchemaDriftError) as info:
        c.fetch_month(UNIT, PERIOD)
    message = str(info.value)
    assert "loc_theo=tiep_nhan&trang=2&so_ban_ghi=2: page 2 repeats 2 dossiers already received" in message
    assert "ignore 'trang'" in message and trang(session) == [("tiep_nhan", 1), ("tiep_nhan", 2)]


def test_a_total_that_changes_once_is_pulled_again():
    moved = [page([A, B], 1, 2, 5), page([C, D], 2, 2, 4)]          # a record vanished between the pages
    again = [page([A, B], 1, 2, 5), page([C, D], 2, 2, 5), page([E], 3, 2, 5)]
    c, session = client(moved + again + EMPTY)
    records, _ = c.fetch_month(UNIT, PERIOD)
    assert len(records) == 5
    assert trang(session) == [("tiep_nhan", 1), ("tiep_nhan", 2), ("tiep_nhan", 1), ("tiep_nhan", 2),
                              ("tiep_nhan", 3), ("ket_thuc", 1)]


def test_a_total_that_keeps_changing_is_refused_after_one_re_pull():
    moved = [page([A, B], 1, 2, 5), page([C, D], 2, 2, 2)]
    c, session = client(moved + moved)
    with pytest.raises(SchemaDriftError) as info:
        c.fetch_month(UNIT, PERIOD)
    message = str(info.value)
    assert "trang=2&so_ban_ghi=2: tong_so is 2 on page 2 but was 5 on page 1" in message
    assert "second pull" in message and len(session.calls) == 4


def test_pages_that_end_short_of_the_total_are_refused():
    short = [page([A, B], 1, 2, 6), page([C, D], 2, 2, 6), page([], 3, 2, 6)]
    with pytest.raises(SchemaDriftError, match="page 3 is empty after 4 distinct dossiers of the tong_so 6"):
        client(short + short)[0].fetch_month(UNIT, PERIOD)


def test_more_distinct_dossiers_than_the_total_are_refused():
    over = [page([A, B], 1, 2, 3), page([C, D], 2, 2, 3)]
    with pytest.raises(SchemaDriftError, match="4 distinct dossiers by page 2, more than the tong_so 3"):
        client(over + over)[0].fetch_month(UNIT, PERIOD)


def test_more_pages_than_the_total_implies_are_refused():
    # one new dossier a page: 6 dossiers of 2 a page take 3 pages (one more allowed for short pages)
    creeping = [page([A, B], 1, 2, 6), page([B, C], 2, 2, 6), page([C, D], 3, 2, 6), page([D, E], 4, 2, 6)]
    c, session = client(creeping)
    with pytest.raises(SchemaDriftError) as info:
        c.fetch_month(UNIT, PERIOD)
    assert "trang=4" in str(info.value) and "more pages than the total implies" in str(info.value)
    assert len(session.calls) == 4


def test_an_answer_larger_than_the_cap_is_refused_and_not_retried():
    big = FakeResponse(200, {"tong_so": 1, "trang": 1, "so_ban_ghi": 2, "du_lieu": [A], "x": " " * 5000},
                       headers={"Content-Encoding": "gzip"})
    c, session = client([big], max_answer_bytes=4096)
    with pytest.raises(AnswerTooLargeError) as info:
        c.fetch_month(UNIT, PERIOD)
    assert isinstance(info.value, SchemaDriftError) and not isinstance(info.value, RetriableSourceError)
    assert "larger than 4096 bytes once decompressed (Content-Encoding: gzip)" in str(info.value)
    assert len(session.calls) == 1 and all(c["stream"] for c in session.calls)


def test_an_absurd_fee_in_an_api_answer_is_refused_naming_the_record():
    bad = dict(A, DanhSachLePhi=[{"MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí", "Gia": 1e308, "HinhThucThu": None}])
    with pytest.raises(SchemaDriftError, match="trang=1&so_ban_ghi=2, record 1, field 'DanhSachLePhi': found"):
        client([page([bad], 1, 2)])[0].fetch_month(UNIT, PERIOD)


def test_an_api_answer_with_another_units_dossiers_leaves_them_out():
    pages = [page([A, B], 1, 2, 3), page([OCTOBER[6]], 2, 2, 3)]
    records, fingerprint = client(pages + EMPTY)[0].fetch_month(UNIT, PERIOD)
    assert sorted(records["ma_ho_so"]) == sorted([A["MaHoSo"], B["MaHoSo"]])
    (note,) = records.attrs["reader_warnings"]
    assert note["found"] == "1 dossiers of unit 10570" and note["file"].startswith("api:/api/v1/ho-so?")
    # the dossiers left out are not part of the fingerprint: the same month without them is the same delivery
    honest = [page([A, B], 1, 2)]
    assert client(honest + EMPTY)[0].fetch_month(UNIT, PERIOD)[1] == fingerprint
