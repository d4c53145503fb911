"""The sample generator: determinism, the file tree, and the workbooks/exports agree with themselves.

Expected figures come from samples/params.yaml (read here with yaml) or from the raw dossiers.json,
never from the generator's own helpers.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from samples.generate import generate

PARAMS = yaml.safe_load((Path(__file__).resolve().parents[3] / "samples" / "params.yaml").read_text("utf-8"))
PERIODS = [f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13)]
WORKBOOKS = {"tax": "bao-cao-thu-nsnn", "health": "y-te", "education": "truong-hoc",
             "indicators": "chi-tieu-khac"}


def all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def expected_tree() -> set[str]:
    tree = {"public_service/dossiers.json"}
    for period in PERIODS:
        for source, stem in WORKBOOKS.items():
            tree.add(f"inbox/10549/{source}/{period}/{stem}-{period}.xlsx")
        tree |= {f"public_service/exports/ho-so-{period}.csv", f"public_service/exports/ho-so-{period}.json"}
    return tree


def find_row(ws, label: str, column: int | None = None) -> int:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == label and (column is None or cell.column == column):
                return cell.row
    raise AssertionError(f"{label!r} not found in {ws.title}")


def num(v) -> float:
    """A cell as the number it shows; `-` / empty = no figure (0 in a sum)."""
    return 0.0 if v in (None, "-") else float(v)


# ------------------------------------------------------------------------------------- tests
def test_same_seed_gives_the_same_bytes(samples_dir, tmp_path):
    manifest = generate(tmp_path / "again", seed=2025)
    first, second = all_files(samples_dir), all_files(tmp_path / "again")
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []
    # the manifest lists what was written
    assert {k: len(v) for k, v in manifest["workbooks"].items()} == {k: 24 for k in WORKBOOKS}
    assert manifest["dossiers"] == tmp_path / "again" / "public_service" / "dossiers.json"
    assert len(manifest["exports"]) == 48
    written = {str(Path(p).relative_to(tmp_path / "again")) for p in
               [*sum(manifest["workbooks"].values(), []), manifest["dossiers"], *manifest["exports"]]}
    assert written == expected_tree()


def test_another_seed_changes_dossier_detail_but_not_the_counts():
    from samples.generate import generate_dossiers, load_params

    params = load_params()
    a, b = generate_dossiers(params, 2025), generate_dossiers(params, 7)
    assert len(a) == len(b)
    assert [d["NgayTiepNhan"] for d in a] != [d["NgayTiepNhan"] for d in b]
    assert sum(d["KenhThucHien"] == 2 for d in a) == sum(d["KenhThucHien"] == 2 for d in b)


def test_the_tree_covers_every_month_and_nothing_else(samples_dir):
    assert set(all_files(samples_dir)) == expected_tree()


@pytest.mark.parametrize("period", PERIODS)
def test_tax_total_and_section_I_equal_the_sum_of_items_as_written(samples_dir, period):
    path = samples_dir / "inbox/10549/tax" / period / f"bao-cao-thu-nsnn-{period}.xlsx"
    ws = load_workbook(path)["Thu NSNN"]
    label_col = 2
    total_r = find_row(ws, "TỔNG THU NSNN TRÊN ĐỊA BÀN", label_col)
    sec1_r = find_row(ws, "Thu nội địa", label_col)
    item_rows = [r for r in range(sec1_r + 1, sec1_r + 10)]
    assert [ws.cell(r, 1).value for r in item_rows] == [str(i) for i in range(1, 10)]
    sec2_r = sec1_r + 10
    assert ws.cell(sec2_r, 1).value == "II"
    assert total_r < sec1_r
    for col in (4, 5, 6, 7, 8):   # Pháp lệnh, HĐND giao, tháng, lũy kế, cùng kỳ
        items = sum(num(ws.cell(r, col).value) for r in item_rows)
        assert ws.cell(total_r, col).value == pytest.approx(items, abs=1e-6), (period, col)
        assert ws.cell(sec1_r, col).value == ws.cell(total_r, col).value
        assert ws.cell(total_r, col).value != pytest.approx(items + num(ws.cell(sec2_r, col).value))


def test_tax_year_to_date_matches_params_and_grows_as_intended(samples_dir):
    ws = load_workbook(samples_dir / "inbox/10549/tax/2025-12/bao-cao-thu-nsnn-2025-12.xlsx")["Thu NSNN"]
    total_r = find_row(ws, "TỔNG THU NSNN TRÊN ĐỊA BÀN", 2)
    ytd, prior = ws.cell(total_r, 7).value, ws.cell(total_r, 8).value
    # December's year to date is the year's actual up to the rounding of twelve month values
    assert ytd == pytest.approx(sum(i["actual"][2025] for i in PARAMS["tax"]["items"]), abs=1.0)
    assert prior == pytest.approx(sum(i["actual"][2024] for i in PARAMS["tax"]["items"]), abs=1.0)
    assert 8.3 <= (ytd / prior - 1) * 100 <= 9.7
    # the 2024 December report's lũy kế is 2025's cùng kỳ
    ws24 = load_workbook(samples_dir / "inbox/10549/tax/2024-12/bao-cao-thu-nsnn-2024-12.xlsx")["Thu NSNN"]
    assert ws24.cell(find_row(ws24, "TỔNG THU NSNN TRÊN ĐỊA BÀN", 2), 7).value == prior


def test_tax_layout_blank_estimate_and_no_figure_months(samples_dir):
    ws = load_workbook(samples_dir / "inbox/10549/tax/2025-08/bao-cao-thu-nsnn-2025-08.xlsx")["Thu NSNN"]
    assert ws["A1"].value == "UBND PHƯỜNG CHU VĂN AN"
    assert ws["A2"].value == "THUẾ CƠ SỞ 10 THÀNH PHỐ HẢI PHÒNG"
    assert find_row(ws, "Tháng 8 năm 2025")
    unit_r = find_row(ws, "Đơn vị tính: Triệu đồng")
    assert ws.cell(unit_r, ws.max_column).value == "Đơn vị tính: Triệu đồng"
    header_r = find_row(ws, "Nội dung thu")
    assert ws.cell(header_r, 4).value == "Dự toán năm 2025"
    assert [ws.cell(header_r + 1, c).value for c in (4, 5, 9, 10)] == [
        "Pháp lệnh", "HĐND giao", "Lũy kế so dự toán", "Lũy kế so cùng kỳ"]
    assert [ws.cell(header_r + 2, c).value for c in range(1, 12)] == [
        "A", "B", "C", "1", "2", "3", "4", "5", "6=4/2", "7=4/5", "8"]
    r8 = find_row(ws, "Thu từ quỹ đất công ích, hoa lợi công sản")
    assert ws.cell(r8, 4).value == "-"         # no pháp lệnh estimate
    assert ws.cell(r8, 6).value == "-"         # nothing collected in August (quarterly line)
    assert find_row(ws, "Người lập biểu") > find_row(ws, "Thu bổ sung từ ngân sách cấp trên")
    assert isinstance(ws.cell(find_row(ws, "Thuế thu nhập cá nhân"), 7).value, (int, float))


def test_indicator_months_after_the_period_are_empty_and_total_is_the_sum(samples_dir):
    ws = load_workbook(samples_dir / "inbox/10549/indicators/2025-08/chi-tieu-khac-2025-08.xlsx")["Chỉ tiêu"]
    header_r = find_row(ws, "Mã chỉ tiêu")
    months = {ws.cell(header_r + 1, c).value: c for c in range(1, ws.max_column + 1)}
    assert ws.cell(header_r, months["Tháng 1"]).value == "Thực hiện"
    rows = {ws.cell(r, 2).value: r for r in range(header_r + 3, ws.max_row + 1) if ws.cell(r, 2).value}
    for i in range(1, 9):
        c = months[f"Tháng {i}"]
        parts = sum(ws.cell(rows[k], c).value for k in ("TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV"))
        assert ws.cell(rows["TGTSP"], c).value == pytest.approx(parts, abs=1e-6)
    for i in range(9, 13):
        assert all(ws.cell(r, months[f"Tháng {i}"]).value is None for r in rows.values())
    visits = PARAMS["indicators"]["luot_khach"]["monthly"][2025]
    assert ws.cell(rows["LUOT_KHACH"], months["Tháng 2"]).value == visits[1]
    assert ws.cell(rows["ANTT"], months["Tháng 8"]).value == "Giữ vững"
    assert ws.cell(rows["HO_NGHEO_MS"], months["Tháng 8"]).value == 15560


def test_education_register_dates_and_the_expiring_school(samples_dir):
    def school(period):
        ws = load_workbook(samples_dir / f"inbox/10549/education/{period}/truong-hoc-{period}.xlsx")["Danh sách trường"]
        header_r = find_row(ws, "Mã trường")
        cols = {ws.cell(header_r, c).value: c for c in range(1, ws.max_column + 1)}
        r = find_row(ws, "TH-TH", cols["Mã trường"])
        return ws, {k: ws.cell(r, c) for k, c in cols.items()}

    ws, oct_ = school("2025-10")
    assert oct_["Ngày QĐ"].value == dt.datetime(2020, 10, 14)
    assert oct_["Ngày QĐ"].number_format == "dd/mm/yyyy"
    assert oct_["Ngày hết hạn"].value == dt.datetime(2025, 10, 14)
    _, dec = school("2025-12")
    assert dec["Ngày QĐ"].value == dt.datetime(2025, 12, 5)
    assert dec["Mức chuẩn quốc gia"].value == "Mức độ 2"


def test_health_workbook_sheets(samples_dir):
    wb = load_workbook(samples_dir / "inbox/10549/health/2025-11/y-te-2025-11.xlsx")
    assert wb.sheetnames == ["Tiêu chí trạm y tế", "Mẫu 2a"]
    ws = wb["Mẫu 2a"]
    assert find_row(ws, "BÁO CÁO KẾT QUẢ SƠ TUYỂN SỨC KHỎE NGHĨA VỤ QUÂN SỰ NĂM 2026")
    assert ws.cell(find_row(ws, "Số lượng đã sơ tuyển", 2), 3).value == PARAMS["health"]["nvqs"][2025]["screened"][10]
    crit = wb["Tiêu chí trạm y tế"]
    header_r = find_row(crit, "Kết luận")
    verdicts = [crit.cell(r, 9).value for r in range(header_r + 2, header_r + 2 + len(PARAMS["health"]["criteria"]))]
    assert verdicts == ["Đạt"] * len(PARAMS["health"]["criteria"])


def _in_month(ts, period):
    return ts is not None and ts[6:10] == period[:4] and ts[3:5] == period[5:7]


@pytest.mark.parametrize("period", ["2024-01", "2025-02", "2025-08", "2025-12"])
def test_csv_and_json_exports_agree_with_each_other_and_with_dossiers(samples_dir, period):
    base = samples_dir / "public_service"
    exported = json.loads((base / "exports" / f"ho-so-{period}.json").read_text("utf-8"))
    raw = base.joinpath("exports", f"ho-so-{period}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert exported["tong_so"] == len(exported["du_lieu"]) == len(rows)
    assert [r["MaHoSo"] for r in rows] == [d["MaHoSo"] for d in exported["du_lieu"]]
    for r, d in zip(rows, exported["du_lieu"], strict=True):
        assert int(r["TongPhiLePhi"]) == sum(f["Gia"] for f in d["DanhSachLePhi"])
        assert r["NgayKetThucXuLy"] == (d["NgayKetThucXuLy"] or "")
        assert r["DuocThanhToanTrucTuyen"] == ("true" if d["DuocThanhToanTrucTuyen"] else "false")
    everything = json.loads((base / "dossiers.json").read_text("utf-8"))["du_lieu"]
    wanted = {d["MaHoSo"] for d in everything
              if _in_month(d["NgayTiepNhan"], period) or _in_month(d["NgayKetThucXuLy"], period)}
    assert {d["MaHoSo"] for d in exported["du_lieu"]} == wanted
