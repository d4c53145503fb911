"""The sample dossier exports rewritten the way an office writes them for people, read by meaning.

Each month's CSV export of `samples.generate` is rewritten by this test (Vietnamese headers in another
order, a notes column, channel and level words, Có/Không, ISO or day-only dates, fees as `15.000`, ids
with a leading `'`, NFD text; or a JSON export with snake_case keys). The records must equal the plain
export's and the observations must be those of samples/params.yaml (tests/integration/connectors/expected.py,
computed without the connector).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import unicodedata

import pytest

from connectors.errors import BadInputError
from connectors.public_service import observations_from_public_service, read_public_service_export

from . import expected as exp

UNIT = "10549"
HUMAN = {"MaHoSo": "Mã hồ sơ", "MaTTHC": "Mã TTHC", "TenTTHC": "Tên thủ tục hành chính", "MaLinhVuc": "Mã lĩnh vực",
         "TenLinhVuc": "Lĩnh vực", "MucDo": "Mức độ", "KenhThucHien": "Kênh thực hiện",
         "NgayTiepNhan": "Ngày tiếp nhận", "NgayHenTra": "Ngày hẹn trả", "NgayKetThucXuLy": "Ngày kết thúc xử lý",
         "NgayTra": "Ngày trả kết quả", "NgayTuChoi": "Ngày từ chối", "TrangThaiHoSo": "Trạng thái hồ sơ",
         "DonViXuLy": "Đơn vị xử lý", "DuocThanhToanTrucTuyen": "Đã thanh toán trực tuyến",
         "TongPhiLePhi": "Tổng phí, lệ phí"}
CHANNEL = {"1": "Trực tiếp", "2": "Trực tuyến", "3": "Bưu chính công ích"}
LEVEL = {"2": "Mức độ II", "3": "Một phần", "4": "Toàn trình"}
DATES = ("NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi")


def _plain(samples_dir, period):
    return samples_dir / "public_service" / "exports" / f"ho-so-{period}.csv"


def _rows(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _iso(text: str) -> str:
    return dt.datetime.strptime(text, "%d/%m/%Y %H:%M:%S").strftime("%Y-%m-%dT%H:%M:%S") if text else ""


def _comparable(records):
    return records.drop(columns=["source_file", "sheet", "row_number"]).reset_index(drop=True)


def _check(records, month):
    obs = observations_from_public_service(records, UNIT, f"2025-{month:02d}").set_index("indicator_code")
    want = exp.dossier_month(2025, month)
    assert obs.loc["DOSSIER_ONLINE", ["numerator", "denominator"]].tolist() == [want["online"], want["received"]]
    assert obs.loc["DOSSIER_ON_TIME", ["numerator", "denominator"]].tolist() == [want["on_time"], want["finished"]]
    assert obs.loc["DOSSIER_FEE_ONLINE", ["numerator", "denominator"]].tolist() == [want["fee_online"], want["fee"]]


@pytest.mark.parametrize("month", [1, 4, 8, 12])
def test_a_csv_written_for_people_gives_the_parameters(samples_dir, tmp_path, month):
    plain = _plain(samples_dir, f"2025-{month:02d}")
    header, rows = _rows(plain)
    order = [*reversed(header[:8]), "GhiChu", *header[8:]]
    path = tmp_path / plain.name
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow([unicodedata.normalize("NFD", HUMAN.get(h, "Ghi chú bổ sung")) for h in order])
        for i, r in enumerate(rows):
            out = dict(r, GhiChu="đã kiểm tra, đủ" if i % 3 == 0 else "")
            out["MaHoSo"] = "'" + r["MaHoSo"]
            out["KenhThucHien"] = CHANNEL[r["KenhThucHien"]]
            out["MucDo"] = LEVEL[r["MucDo"]]
            out["DuocThanhToanTrucTuyen"] = {"true": "Có", "false": "Không"}[r["DuocThanhToanTrucTuyen"]]
            out["TongPhiLePhi"] = f"{int(r['TongPhiLePhi']):,d}".replace(",", ".")
            out["TenTTHC"] = unicodedata.normalize("NFD", r["TenTTHC"])
            for d in DATES:
                out[d] = _iso(r[d])
            writer.writerow([out[h] for h in order])
    records = read_public_service_export(path)
    _check(records, month)
    original = read_public_service_export(plain)
    assert _comparable(records).equals(_comparable(original))
    assert records["row_number"].tolist() == original["row_number"].tolist()  # the same rows, one per dossier
    (warning,) = records.attrs["reader_warnings"]
    assert (warning["column"], warning["letter"], warning["row"]) == (unicodedata.normalize("NFD", "Ghi chú bổ sung"),
                                                                      "I", 1)
    used = {u["name"]: (u["header"], u["letter"]) for u in records.attrs["columns_used"]}
    assert used["kenh_thuc_hien"] == (unicodedata.normalize("NFD", "Kênh thực hiện"), "B")


@pytest.mark.parametrize("month", [2, 11])
def test_a_json_with_snake_case_keys_gives_the_parameters(samples_dir, tmp_path, month):
    plain_json = samples_dir / "public_service" / "exports" / f"ho-so-2025-{month:02d}.json"
    body = json.loads(plain_json.read_text(encoding="utf-8"))
    snake = {"MaHoSo": "ma_ho_so", "KenhThucHien": "kenh_thuc_hien", "NgayTiepNhan": "ngay_tiep_nhan",
             "NgayHenTra": "ngay_hen_tra", "NgayKetThucXuLy": "ngay_ket_thuc_xu_ly", "NgayTuChoi": "ngay_tu_choi",
             "DuocThanhToanTrucTuyen": "da_thanh_toan_truc_tuyen_dvcqg", "MucDo": "muc_do"}
    records_in = [{snake.get(k, k): (CHANNEL[str(v)] if k == "KenhThucHien" else v) for k, v in rec.items()}
                  for rec in body["du_lieu"]]
    path = tmp_path / plain_json.name
    path.write_text(json.dumps({"tong_so": len(records_in), "du_lieu": records_in}, ensure_ascii=False), "utf-8")
    records = read_public_service_export(path)
    _check(records, month)
    assert _comparable(records).equals(_comparable(read_public_service_export(plain_json)))


def test_three_bad_cells_of_a_sample_export_are_all_named(samples_dir, tmp_path):
    plain = _plain(samples_dir, "2025-06")
    header, rows = _rows(plain)
    rows[4]["KenhThucHien"] = "qua Zalo"
    rows[9]["NgayTiepNhan"] = "ngày 3 tháng 6"
    rows[20]["TongPhiLePhi"] = "hai mươi nghìn"
    path = tmp_path / plain.name
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([r[h] for h in header] for r in rows)
    with pytest.raises(BadInputError) as info:
        read_public_service_export(path)
    letter = {h: chr(65 + i) for i, h in enumerate(header)}
    assert [(p.row, p.column, p.letter, p.found) for p in info.value.problems] == [
        (6, "KenhThucHien", letter["KenhThucHien"], "qua Zalo"),
        (11, "NgayTiepNhan", letter["NgayTiepNhan"], "ngày 3 tháng 6"),
        (22, "TongPhiLePhi", letter["TongPhiLePhi"], "hai mươi nghìn")]
    assert all(p.file == plain.name and p.expected_vi for p in info.value.problems)
