"""Dossier exports read by meaning: a metamorphic property over exports this test writes itself.

The dossiers come from this file's own seeded generator; the records and the observations they must give
are computed here from the generator's parameters with plain Python (docs/contracts.md, "Observations"),
never through the connector. Harmless changes (column order, unknown and known extra columns, every header
spelling, every value spelling, NFD text, BOM or not, UTF-16, `;` or tab, `'`-prefixed ids, empty rows,
JSON keys and typed values) must give the same records and observations; harmful ones (a required column
removed, two columns with one meaning, a value outside the vocabulary, a date or an amount typed as words)
are refused naming the file, the row as a spreadsheet shows it, the header as typed, its letter and the
value as typed, every one of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import BadInputError, SchemaDriftError
from connectors.public_service import (
    RECORD_COLUMNS,
    PublicServiceClient,
    observations_from_public_service,
    parse_dossier_vocabulary,
    read_dossier_export,
)

from .test_rest import FakeResponse, FakeSession

UNIT, PERIOD = "10549", "2025-11"
LAYOUT = Path(__file__).resolve().parents[3] / "connectors" / "layouts" / "public_service.yaml"
VARIANTS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# ------------------------------------------------------------------------------------ the generator
# (code, name, field code, field name, level, fee VND)
PROCEDURES = [
    ("1.001612", "Đăng ký khai sinh", "G09-TP03", "Hộ tịch", 4, 0),
    ("2.000815", "Chứng thực chữ ký, bản sao", "G09-TP02", "Chứng thực", 3, 10000),
    ("2.000635", "Đăng ký thường trú", "G09-CA01", "Đăng ký, quản lý cư trú", 4, 20000),
    ("1.004227", "Cấp giấy phép xây dựng", "G09-XD06", "Hoạt động xây dựng", 3, 75000),
    ("1.000775", "Cung cấp thông tin quy hoạch", "G09-XD01", "Quy hoạch", 2, 0),
]
STATUS = {"open": 4, "returned": 6, "withdrawn": 7, "waiting": 9, "done": 10}


def make_dossiers(seed: int = 2025, n: int = 30) -> list[dict]:
    """Dossiers of November 2025 (some received in October, finished in November), canonical values."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        proc = PROCEDURES[i % len(PROCEDURES)]
        month = 10 if i % 6 == 5 else 11
        received = dt.datetime(2025, month, rng.randint(1 if month == 11 else 20, 28), rng.randint(7, 16),
                               rng.choice([0, 15, 30, 45]))
        due = dt.datetime.combine(received.date() + dt.timedelta(days=rng.randint(2, 9)), dt.time(17, 0))
        outcome = rng.choice(["done", "done", "done", "waiting", "open", "returned", "withdrawn"])
        if month == 10:
            outcome = "done"
        end = received + dt.timedelta(days=rng.randint(1 if month == 11 else 8, 12), hours=rng.randint(0, 5))
        if end.month != 11:
            end = dt.datetime(2025, 11, 2, 9, 0)
        finished = end if outcome in ("done", "waiting", "returned") else None
        rejected = end if outcome in ("returned", "withdrawn") else None
        returned = end + dt.timedelta(hours=2) if outcome == "done" else None
        fee = proc[5]
        out.append({
            "MaHoSo": f"000.00.{UNIT}-{received:%y%m%d}-{i:04d}", "MaTTHC": proc[0], "TenTTHC": proc[1],
            "MaLinhVuc": proc[2], "TenLinhVuc": proc[3], "MucDo": proc[4], "KenhThucHien": 1 + i % 3,
            "NgayTiepNhan": received, "NgayHenTra": due, "NgayKetThucXuLy": finished, "NgayTra": returned,
            "NgayTuChoi": rejected, "TrangThaiHoSo": STATUS[outcome], "DonViXuLy": "UBND phường Chu Văn An",
            "DuocThanhToanTrucTuyen": fee > 0 and i % 2 == 0, "Fee": fee,
        })
    return out


def expected_counts(dossiers: list[dict]) -> dict[str, tuple[float, float]]:
    """(numerator, denominator) of the three indicators, by the contract's rules, from the parameters."""
    def in_month(t):
        return t is not None and (t.year, t.month) == (2025, 11)
    received = [d for d in dossiers if in_month(d["NgayTiepNhan"])]
    finished = [d for d in dossiers if in_month(d["NgayKetThucXuLy"]) and d["NgayTuChoi"] is None]
    on_time = [d for d in finished if d["NgayKetThucXuLy"].date() <= d["NgayHenTra"].date()]
    fee = [d for d in received if d["Fee"] > 0]
    return {"DOSSIER_ONLINE": (sum(d["KenhThucHien"] == 2 for d in received), len(received)),
            "DOSSIER_ON_TIME": (len(on_time), len(finished)),
            "DOSSIER_FEE_ONLINE": (sum(bool(d["DuocThanhToanTrucTuyen"]) for d in fee), len(fee))}


FIELDS = ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "MucDo", "KenhThucHien", "NgayTiepNhan",
          "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "TrangThaiHoSo", "DonViXuLy",
          "DuocThanhToanTrucTuyen", "TongPhiLePhi"]
REQUIRED = ["MaHoSo", "KenhThucHien", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTuChoi",
            "DuocThanhToanTrucTuyen", "TongPhiLePhi"]
OPTIONAL = ["MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "MucDo", "NgayTra", "TrangThaiHoSo", "DonViXuLy"]
DATES = ["NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi"]

# Header spellings by hand: the sync names (source-formats.md §4.4), the snake_case names of §8.2(b), and
# the Vietnamese headers an export written for people carries.
HEADERS = {
    "MaHoSo": ["MaHoSo", "ma_ho_so", "Mã hồ sơ", "Số hồ sơ", "Mã HS"],
    "MaTTHC": ["MaTTHC", "ma_tthc", "Mã TTHC", "Mã thủ tục hành chính", "Mã thủ tục"],
    "TenTTHC": ["TenTTHC", "ten_tthc", "Tên TTHC", "Tên thủ tục hành chính", "Tên thủ tục"],
    "MaLinhVuc": ["MaLinhVuc", "ma_linh_vuc", "Mã lĩnh vực"],
    "TenLinhVuc": ["TenLinhVuc", "ten_linh_vuc", "Tên lĩnh vực", "Lĩnh vực"],
    "MucDo": ["MucDo", "muc_do", "Mức độ", "Mức độ DVC"],
    "KenhThucHien": ["KenhThucHien", "kenh_thuc_hien", "Kênh thực hiện", "Kênh tiếp nhận", "Hình thức nộp"],
    "NgayTiepNhan": ["NgayTiepNhan", "ngay_tiep_nhan", "Ngày tiếp nhận", "Ngày nhận hồ sơ"],
    "NgayHenTra": ["NgayHenTra", "ngay_hen_tra", "Ngày hẹn trả", "Ngày hẹn trả kết quả"],
    "NgayKetThucXuLy": ["NgayKetThucXuLy", "ngay_ket_thuc_xu_ly", "Ngày kết thúc xử lý", "Ngày kết thúc"],
    "NgayTra": ["NgayTra", "ngay_tra", "Ngày trả", "Ngày trả kết quả"],
    "NgayTuChoi": ["NgayTuChoi", "ngay_tu_choi", "Ngày từ chối"],
    "TrangThaiHoSo": ["TrangThaiHoSo", "trang_thai_ho_so", "Trạng thái hồ sơ", "Trạng thái", "Tình trạng"],
    "DonViXuLy": ["DonViXuLy", "don_vi_xu_ly", "Đơn vị xử lý"],
    "DuocThanhToanTrucTuyen": ["DuocThanhToanTrucTuyen", "duoc_thanh_toan_truc_tuyen",
                               "da_thanh_toan_truc_tuyen_dvcqg", "Đã thanh toán trực tuyến",
                               "Được thanh toán trực tuyến", "Thanh toán trực tuyến"],
    "TongPhiLePhi": ["TongPhiLePhi", "tong_phi_le_phi", "Tổng phí, lệ phí", "Tổng phí lệ phí", "Phí, lệ phí"],
}
# Value spellings by hand (§4.4 codes and their words; Roman numerals; Có/Không/x/✓).
CHANNELS = {1: ["1", "Trực tiếp", "trực tiếp", "TRỰC TIẾP", "Truc tiep", "'1"],
            2: ["2", "Trực tuyến", "trực tuyến", "Nộp trực tuyến", "2.0"],
            3: ["3", "BCCI", "Bưu chính công ích", "bưu chính công ích", "Qua bưu chính công ích"]}
LEVELS = {2: ["2", "Mức độ 2", "Mức độ II", "MĐ2", "Cung cấp thông tin"],
          3: ["3", "Mức độ 3", "Mức độ III", "Một phần", "mức độ iii"],
          4: ["4", "Mức độ 4", "Mức độ IV", "Toàn trình", "MĐ 4", "toàn trình"]}
STATUS_WORDS = {4: ["4", "Đang xử lý"], 6: ["6", "Trả lại"], 7: ["7", "Rút hồ sơ"], 9: ["9", "Chờ trả kết quả"],
                10: ["10", "Đã trả kết quả"]}
BOOLS = [("true", "false"), ("True", "False"), ("TRUE", "FALSE"), ("1", "0"), ("Có", "Không"), ("có", "không"),
         ("x", "Không"), ("✓", "0"), ("Đã thanh toán", "Chưa thanh toán"), ("x", ""), ("X", ""), ("✓", "")]
DATE_FORMATS = {"%d/%m/%Y %H:%M:%S": False, "%d/%m/%Y %H:%M": False, "%Y-%m-%dT%H:%M:%S": False,
                "%Y-%m-%d %H:%M:%S": False, "%d/%m/%Y": True, "%Y-%m-%d": True}  # True: the time is not written
UNKNOWN_EXTRAS = ["GhiChu", "NguoiNhap", "Cột phụ", ""]
KNOWN_EXTRAS = ["STT", "NgayNopHoSo", "HinhThuc", "NoiNopHoSo", "TrichYeuHoSo"]


@dataclass
class Style:
    """How an export is written; the defaults are the plain export of docs/contracts.md."""

    fmt: str = "csv"
    order: list[str] = field(default_factory=lambda: list(FIELDS))  # fields and extra headers, in order
    headers: dict[str, str] = field(default_factory=lambda: {f: f for f in FIELDS})
    channel: dict[int, str] = field(default_factory=lambda: {1: "1", 2: "2", 3: "3"})
    level: dict[int, str] = field(default_factory=lambda: {2: "2", 3: "3", 4: "4"})
    status: dict[int, str] = field(default_factory=lambda: {k: str(k) for k in STATUS_WORDS})
    yes_no: tuple[str, str] = ("true", "false")
    date_format: str = "%d/%m/%Y %H:%M:%S"
    fee_vi: bool = False  # 15.000
    apostrophe: bool = False
    nfd: bool = False
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    newline: str = "\r\n"
    quote_all: bool = False
    blank_rows: tuple[int, ...] = ()  # an empty row before these records
    json_typed: bool = True  # numbers and booleans as JSON values
    json_fee_list: bool = True
    overrides: dict[tuple[int, str], str] = field(default_factory=dict)  # (record, field) -> text as typed


def cell_text(style: Style, d: dict, name: str, i: int) -> str:
    if (i, name) in style.overrides:
        return style.overrides[(i, name)]
    if name in UNKNOWN_EXTRAS or name in KNOWN_EXTRAS:
        return {"STT": str(i + 1), "NgayNopHoSo": d["NgayTiepNhan"].strftime("%d/%m/%Y"), "HinhThuc": "1",
                "GhiChu": "ghi chú, có dấu phẩy" if i % 4 == 0 else ""}.get(name, f"x{i}")
    value = d.get(name)
    if name in DATES:
        return "" if value is None else value.strftime(style.date_format)
    if name == "KenhThucHien":
        return style.channel[value]
    if name == "MucDo":
        return style.level[value]
    if name == "TrangThaiHoSo":
        return style.status[value]
    if name == "DuocThanhToanTrucTuyen":
        return style.yes_no[0 if value else 1]
    if name == "TongPhiLePhi":
        return f"{d['Fee']:,d}".replace(",", ".") if style.fee_vi else str(d["Fee"])
    text = str(value)
    if name == "MaHoSo" and style.apostrophe:
        text = "'" + text
    if style.nfd:
        text = unicodedata.normalize("NFD", text)
    return text


def write_export(path: Path, dossiers: list[dict], style: Style) -> dict[str, int]:
    """Write the export; return each dossier's row (as a spreadsheet shows it, or its JSON position)."""
    def header(name):
        text = style.headers.get(name, name)
        return unicodedata.normalize("NFD", text) if style.nfd else text

    rows_of = {}
    if style.fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator=style.newline,
                            quoting=csv.QUOTE_ALL if style.quote_all else csv.QUOTE_MINIMAL)
        writer.writerow([header(n) for n in style.order])
        row = 1
        for i, d in enumerate(dossiers):
            if i in style.blank_rows:
                writer.writerow([] if i % 2 else [""] * len(style.order))
                row += 1
            writer.writerow([cell_text(style, d, n, i) for n in style.order])
            row += 1
            rows_of[d["MaHoSo"]] = row
        data = buffer.getvalue()
        path.write_bytes(b"\xff\xfe" + data.encode("utf-16-le") if style.encoding == "utf-16"
                         else data.encode(style.encoding))
        return rows_of
    records = []
    for i, d in enumerate(dossiers):
        rec = {}
        for name in style.order:
            key = header(name)
            if name == "TongPhiLePhi" and style.json_fee_list and (i, name) not in style.overrides:
                rec["DanhSachLePhi"] = [{"MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí", "Gia": d["Fee"],
                                         "HinhThucThu": "truc-tuyen"}] if d["Fee"] else []
            elif style.json_typed and (i, name) not in style.overrides and name in (
                    "MucDo", "KenhThucHien", "TrangThaiHoSo", "DuocThanhToanTrucTuyen", "TongPhiLePhi"):
                rec[key] = {"TongPhiLePhi": d["Fee"]}.get(name, d.get(name))
            elif name in DATES and d.get(name) is None and (i, name) not in style.overrides:
                rec[key] = None
            else:
                rec[key] = cell_text(style, d, name, i)
        records.append(rec)
        rows_of[d["MaHoSo"]] = i + 1
    path.write_text(json.dumps({"tong_so": len(records), "du_lieu": records}, ensure_ascii=False), "utf-8")
    return rows_of


def expected_records(dossiers: list[dict], style: Style) -> pd.DataFrame:
    """The records the reader must give, from the parameters (sorted by code, lineage left out)."""
    present = set(style.order)
    day_only = DATE_FORMATS.get(style.date_format, False)

    def stamp(value):
        if value is None:
            return None
        return dt.datetime.combine(value.date(), dt.time()) if day_only else value

    rows = []
    for d in sorted(dossiers, key=lambda d: d["MaHoSo"]):
        paid = d["DuocThanhToanTrucTuyen"]
        blank_no = style.fmt == "csv" and not paid and style.yes_no[1] == ""
        rows.append({
            "ma_ho_so": d["MaHoSo"],
            "ma_tthc": d["MaTTHC"] if "MaTTHC" in present else None,
            "ten_tthc": d["TenTTHC"] if "TenTTHC" in present else None,
            "ma_linh_vuc": d["MaLinhVuc"] if "MaLinhVuc" in present else None,
            "muc_do": d["MucDo"] if "MucDo" in present else None,
            "kenh_thuc_hien": d["KenhThucHien"],
            **{c: stamp(d[f]) if f in present else None for c, f in (
                ("ngay_tiep_nhan", "NgayTiepNhan"), ("ngay_hen_tra", "NgayHenTra"),
                ("ngay_ket_thuc_xu_ly", "NgayKetThucXuLy"), ("ngay_tra", "NgayTra"), ("ngay_tu_choi", "NgayTuChoi"))},
            "trang_thai_ho_so": str(d["TrangThaiHoSo"]) if "TrangThaiHoSo" in present else None,
            "duoc_thanh_toan_truc_tuyen": None if blank_no else bool(paid),
            "tong_phi_le_phi": float(d["Fee"]),
        })
    frame = pd.DataFrame(rows, columns=[c for c in RECORD_COLUMNS if c not in ("source_file", "sheet", "row_number")])
    for c in ("ngay_tiep_nhan", "ngay_hen_tra", "ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_tu_choi"):
        frame[c] = pd.to_datetime(frame[c]).astype("datetime64[ns]")
    texts = {c: "object" for c in ("ma_ho_so", "ma_tthc", "ten_tthc", "ma_linh_vuc", "trang_thai_ho_so")}
    return frame.astype({"muc_do": "Int64", "kenh_thuc_hien": "Int64", "duoc_thanh_toan_truc_tuyen": "boolean",
                         "tong_phi_le_phi": "float64", **texts})


def comparable(records: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in RECORD_COLUMNS if c not in ("source_file", "sheet", "row_number")]
    return records[cols].reset_index(drop=True)


def observed(records: pd.DataFrame) -> dict[str, tuple[float, float]]:
    obs = observations_from_public_service(records, UNIT, PERIOD)
    assert list(obs["unit_code"].unique()) == [UNIT] and list(obs["period"].unique()) == [PERIOD]
    assert set(obs["member_code"]) == {""}
    return {r.indicator_code: (r.numerator, r.denominator) for r in obs.itertuples()}


DOSSIERS = make_dossiers()
WANT = expected_counts(DOSSIERS)


def read_written(tmp_path: Path, style: Style, dossiers: list[dict] = DOSSIERS, name: str = "ho-so-2025-11"):
    path = tmp_path / f"{name}.{style.fmt}"
    rows_of = write_export(path, dossiers, style)
    return path, rows_of, read_dossier_export(path)


def test_the_generator_covers_every_case():
    """The base has online and other channels, early/on-time/late, returned, carried-over and fee-bearing dossiers."""
    assert {d["KenhThucHien"] for d in DOSSIERS} == {1, 2, 3}
    assert {d["MucDo"] for d in DOSSIERS} == {2, 3, 4}
    assert all(den > num > 0 for num, den in WANT.values()), WANT
    assert any(d["NgayTiepNhan"].month == 10 for d in DOSSIERS) and any(d["NgayTuChoi"] for d in DOSSIERS)


def test_the_plain_export_gives_the_records_and_observations_of_the_parameters(tmp_path):
    for fmt in ("csv", "json"):
        path, rows_of, records = read_written(tmp_path, Style(fmt=fmt))
        pd.testing.assert_frame_equal(comparable(records), expected_records(DOSSIERS, Style(fmt=fmt)))
        assert observed(records) == WANT
        assert dict(zip(records["ma_ho_so"], records["row_number"], strict=True)) == rows_of
        assert records.attrs["reader_warnings"] == [] and records.attrs["file_format"] == fmt


# ------------------------------------------------------------------------------ harmless: the property
@st.composite
def styles(draw, fmt: str) -> Style:
    style = Style(fmt=fmt)
    order = list(FIELDS)
    if draw(st.booleans()):
        order = [f for f in order if f in REQUIRED or draw(st.booleans())]  # optional columns dropped
    if draw(st.booleans()):
        order += draw(st.lists(st.sampled_from(UNKNOWN_EXTRAS + KNOWN_EXTRAS), unique=True, max_size=4))
    style.order = draw(st.permutations(order))
    case = draw(st.sampled_from(["as is", "lower", "upper", "spaces"]))
    for name in FIELDS:
        header = draw(st.sampled_from(HEADERS[name]))
        style.headers[name] = {"as is": header, "lower": header.lower(), "upper": header.upper(),
                               "spaces": f"  {header} "}[case]
    style.channel = {k: draw(st.sampled_from(v)) for k, v in CHANNELS.items()}
    style.level = {k: draw(st.sampled_from(v)) for k, v in LEVELS.items()}
    style.status = {k: draw(st.sampled_from(v)) for k, v in STATUS_WORDS.items()}
    style.yes_no = draw(st.sampled_from(BOOLS if fmt == "csv" else BOOLS[:9]))
    style.date_format = draw(st.sampled_from(list(DATE_FORMATS)))
    style.fee_vi = draw(st.booleans())
    style.apostrophe = draw(st.booleans())
    style.nfd = draw(st.booleans())
    if fmt == "csv":
        style.encoding = draw(st.sampled_from(["utf-8-sig", "utf-8", "utf-16"]))
        style.delimiter = draw(st.sampled_from([",", ";", "\t"]))
        style.newline = draw(st.sampled_from(["\r\n", "\n"]))
        style.quote_all = draw(st.booleans())
        style.blank_rows = tuple(draw(st.lists(st.integers(1, len(DOSSIERS) - 1), unique=True, max_size=3)))
    else:
        style.json_typed = draw(st.booleans())
        style.json_fee_list = draw(st.booleans())
    return style


def _assert_same_as_the_parameters(tmp_path: Path, style: Style):
    path, rows_of, records = read_written(tmp_path, style)
    pd.testing.assert_frame_equal(comparable(records), expected_records(DOSSIERS, style))
    assert observed(records) == WANT
    assert dict(zip(records["ma_ho_so"], records["row_number"], strict=True)) == rows_of
    # the columns it used are named as typed; the ones nobody declared are reported, never refused
    typed = {n: unicodedata.normalize("NFD", style.headers.get(n, n)) if style.nfd else style.headers.get(n, n)
             for n in style.order}
    if style.fmt == "json" and style.json_fee_list:
        typed["TongPhiLePhi"] = "DanhSachLePhi"
    used = {u["header"] for u in records.attrs["columns_used"]}
    read = [n for n in style.order if n in FIELDS and n != "TenLinhVuc"]  # DonViXuLy: read to tell units
    assert used == {typed[n] for n in read}
    unknown = [n for n in style.order if n in UNKNOWN_EXTRAS]
    assert len(records.attrs["reader_warnings"]) == len(unknown)
    assert sorted(w["found"] for w in records.attrs["reader_warnings"]) == sorted(typed[n] for n in unknown)
    assert {(c["header"], c["known"]) for c in records.attrs["columns_ignored"]} == {
        (typed[n], n not in UNKNOWN_EXTRAS) for n in style.order if n not in read}
    if style.fmt == "csv":
        letters = {u["header"]: u["letter"] for u in records.attrs["columns_used"]}
        assert all(letters[typed[n]] == chr(65 + style.order.index(n)) for n in read)


@VARIANTS
@given(style=styles("csv"))
def test_harmless_csv_variants_give_the_same_records_and_observations(tmp_path, style):
    _assert_same_as_the_parameters(tmp_path, style)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(style=styles("json"))
def test_harmless_json_variants_give_the_same_records_and_observations(tmp_path, style):
    _assert_same_as_the_parameters(tmp_path, style)


def _layout_vocabulary() -> tuple[dict, dict]:
    """The layout's vocabulary as data (yaml), to write every spelling it lists."""
    data = yaml.safe_load(LAYOUT.read_text(encoding="utf-8"))
    return data["dossier_fields"], data["dossier_values"]


def test_every_header_spelling_of_the_layout_is_accepted(tmp_path):
    fields, _ = _layout_vocabulary()
    spellings = {name: [name, *(str(h) for h in spec.get("headers") or [])] for name, spec in fields.items()
                 if name in FIELDS}
    rounds = max(len(v) for v in spellings.values())
    for k in range(rounds):
        style = Style(headers={n: s[k % len(s)] for n, s in spellings.items()})
        if k % 2:
            style.order = list(reversed(FIELDS))
        _assert_same_as_the_parameters(tmp_path, style)
    assert set(HEADERS) <= set(spellings)


def test_every_value_spelling_of_the_layout_is_accepted(tmp_path):
    _, values = _layout_vocabulary()
    for vocabulary, field_name in (("kenh_thuc_hien", "KenhThucHien"), ("muc_do", "MucDo"),
                                   ("trang_thai_ho_so", "TrangThaiHoSo")):
        codes = values[vocabulary]["codes"]
        rounds = max(len(v) for v in codes.values())
        for k in range(rounds):
            words = {int(code): str(spelled[k % len(spelled)]) for code, spelled in codes.items()}
            style = Style(**{{"KenhThucHien": "channel", "MucDo": "level", "TrangThaiHoSo": "status"}[field_name]:
                             words})
            _assert_same_as_the_parameters(tmp_path, style)
    yes = values["yes_no"]["codes"][True]
    no = values["yes_no"]["codes"][False]
    for k in range(max(len(yes), len(no))):
        _assert_same_as_the_parameters(tmp_path, Style(yes_no=(str(yes[k % len(yes)]), str(no[k % len(no)]))))
    for fmt in values["timestamp"]["formats"]:
        strf = {"dd/mm/yyyy HH:mm:ss": "%d/%m/%Y %H:%M:%S", "dd/mm/yyyy HH:mm": "%d/%m/%Y %H:%M",
                "dd/mm/yyyy": "%d/%m/%Y", "yyyy-mm-dd": "%Y-%m-%d", "yyyy-mm-ddTHH:mm:ss": "%Y-%m-%dT%H:%M:%S",
                "yyyy-mm-dd HH:mm:ss": "%Y-%m-%d %H:%M:%S"}[fmt]
        _assert_same_as_the_parameters(tmp_path, Style(date_format=strf))


def test_every_spelling_source_formats_prints_is_in_the_layout():
    """The hand lists above (source-formats.md §4.4, §8.2(b), Vietnamese headers) are all read by meaning."""
    from connectors.public_service import dossier_vocabulary

    vocab = dossier_vocabulary()
    for name, headers in HEADERS.items():
        for header in headers:
            assert vocab.field_for(header) is not None and vocab.field_for(header).name == name, header
    for header in ("co_nghia_vu_tai_chinh", "hinh_thuc_thanh_toan", "co_thanh_phan_so_hoa", "xac_thuc_vneid",
                   "da_dong_bo_dvcqg", "ngay_nop_ho_so", "ngay_yeu_cau_bo_sung", "ma_dinh_danh_don_vi",
                   "SoGiayToChuHoSo", "ChuHoSo", "SoDienThoai", "LoaiDoiTuong", "NoiNopHoSo", "HinhThuc"):
        assert vocab.field_for(header) is not None and not vocab.field_for(header).read, header


# --------------------------------------------------------------------------------------------- harmful
def _refusal(tmp_path: Path, style: Style) -> BadInputError:
    path = tmp_path / f"bad.{style.fmt}"
    write_export(path, DOSSIERS, style)
    with pytest.raises(BadInputError) as info:
        read_dossier_export(path)
    for vi, en in info.value.lines():  # one language per line, no Python reprs
        assert vi and en and "Traceback" not in en and "\\u" not in en
    return info.value


def _row(i: int, style: Style = Style()) -> int:
    return i + 2 + sum(1 for b in style.blank_rows if b <= i)


@pytest.mark.parametrize("removed", REQUIRED)
def test_a_required_column_removed_is_refused_naming_it_and_the_closest_header(tmp_path, removed):
    style = Style(headers={**{f: f for f in FIELDS}, "NgayHenTra": "Ngày hẹn trả", "KenhThucHien": "Kênh TH HS"},
                  order=[f for f in FIELDS if f != removed or removed == "KenhThucHien"])
    if removed != "KenhThucHien":
        style.headers["KenhThucHien"] = "Kênh thực hiện"
    error = _refusal(tmp_path, style)
    header = [p for p in error.problems if p.row == 1 and removed in p.expected]
    assert len(header) == 1, error.problems
    assert header[0].file == "bad.csv"
    if removed == "KenhThucHien":  # "Kênh TH HS" means nothing the layout knows: the closest header
        letter = chr(65 + FIELDS.index("KenhThucHien"))
        assert f"the closest header is 'Kênh TH HS' (column {letter})" in header[0].expected
        assert f"tiêu đề gần nhất là 'Kênh TH HS' (cột {letter})" in header[0].expected_vi


def test_two_columns_with_one_meaning_are_refused_naming_both(tmp_path):
    style = Style(order=[*FIELDS, "dup"], headers={**{f: f for f in FIELDS}, "dup": "Ngày tiếp nhận"})
    error = _refusal(tmp_path, style)
    first = chr(65 + FIELDS.index("NgayTiepNhan"))
    last = chr(65 + len(FIELDS))
    twin = [p for p in error.problems if p.row == 1]
    assert len(twin) == 1 and (twin[0].column, twin[0].letter) == ("Ngày tiếp nhận", last)
    assert f"column {first} 'NgayTiepNhan' and column {last} 'Ngày tiếp nhận' both mean it" in twin[0].expected
    assert f"cột {first} 'NgayTiepNhan' và cột {last} 'Ngày tiếp nhận'" in twin[0].expected_vi


BAD_CELLS = [  # (record, field, as typed, what the message must say it expected)
    (4, "KenhThucHien", " qua  Zalo ", "a channel 1, 2 or 3"),
    (6, "MucDo", "Mức độ 5", "a service level 2, 3 or 4"),
    (9, "NgayTiepNhan", "mùng ba tháng mười một", "a date dd/mm/yyyy HH:mm:ss"),
    (11, "NgayHenTra", "31/11/2025 17:00:00", "a date dd/mm/yyyy HH:mm:ss"),
    (12, "TongPhiLePhi", "mười lăm nghìn", "an amount in VND"),
    (14, "DuocThanhToanTrucTuyen", "chưa rõ", "yes or no"),
    (15, "MaHoSo", "", "a dossier code"),
]


@pytest.mark.parametrize(("i", "name", "typed", "expected"), BAD_CELLS, ids=[c[1] for c in BAD_CELLS])
@pytest.mark.parametrize("shape", ["csv", "csv_vietnamese_headers_reordered", "json"])
def test_a_bad_cell_is_named_by_row_header_as_typed_letter_and_value_as_typed(tmp_path, i, name, typed,
                                                                               expected, shape):
    style = Style(fmt="json" if shape == "json" else "csv", overrides={(i, name): typed})
    if shape == "csv_vietnamese_headers_reordered":
        style.headers = {f: HEADERS[f][2 if len(HEADERS[f]) > 2 else 0] for f in FIELDS}
        style.order = [*reversed(FIELDS), "GhiChu"]
        style.blank_rows = (2,)
    error = _refusal(tmp_path, style)
    assert len(error.problems) == 1, error.problems
    problem = error.problems[0]
    header = style.headers[name]
    if shape == "json":
        assert (problem.row, problem.column, problem.letter) == (i + 1, header, None)
        if name != "MaHoSo":
            assert problem.detail == f"MaHoSo '{DOSSIERS[i]['MaHoSo']}'"
    else:
        assert (problem.row, problem.column, problem.letter) == (_row(i, style), header,
                                                                 chr(65 + style.order.index(name)))
    assert problem.found == typed and problem.expected.startswith(expected), problem
    assert problem.expected_vi and problem.expected_vi != problem.expected
    assert problem.file == f"bad.{style.fmt}"


def test_three_bad_cells_give_three_problems_in_row_order(tmp_path):
    cells = {(9, "NgayTiepNhan"): "ngày 3 tháng 11", (4, "KenhThucHien"): "7", (12, "TongPhiLePhi"): "15 nghìn"}
    style = Style(overrides=cells, order=list(reversed(FIELDS)))
    error = _refusal(tmp_path, style)
    assert [(p.row, p.column, p.letter, p.found) for p in error.problems] == [
        (6, "KenhThucHien", chr(65 + style.order.index("KenhThucHien")), "7"),
        (11, "NgayTiepNhan", chr(65 + style.order.index("NgayTiepNhan")), "ngày 3 tháng 11"),
        (14, "TongPhiLePhi", chr(65 + style.order.index("TongPhiLePhi")), "15 nghìn")]
    assert str(error).startswith("3 problems:") and error.message_vi().startswith("3 lỗi:")
    assert len(error.lines()) == 3


def test_a_column_nobody_declared_is_a_warning_with_its_letter(tmp_path):
    style = Style(order=[*FIELDS[:10], "GhiChu", *FIELDS[10:]])
    _, _, records = read_written(tmp_path, style)
    (warning,) = records.attrs["reader_warnings"]
    assert (warning["row"], warning["column"], warning["letter"], warning["severity"]) == (1, "GhiChu", "K", "warning")
    assert warning["message_vi"].endswith("cột K 'GhiChu': không dùng (cột không có trong danh mục trường của hồ sơ)")
    assert warning["message_en"].endswith("column 'GhiChu' (K): not used (a column the dossier layout does not name)")
    assert {"header": "GhiChu", "letter": "K", "known": False} in records.attrs["columns_ignored"]
    assert {"name": "ngay_tiep_nhan", "header": "NgayTiepNhan", "letter": "H"} in records.attrs["columns_used"]


def test_a_json_record_without_a_required_key_is_named(tmp_path):
    path = tmp_path / "x.json"
    write_export(path, DOSSIERS, Style(fmt="json"))
    body = json.loads(path.read_text("utf-8"))
    del body["du_lieu"][3]["NgayHenTra"]
    body["du_lieu"][5] = ["not", "a record"]
    path.write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    with pytest.raises(BadInputError) as info:
        read_dossier_export(path)
    assert [(p.row, p.column) for p in info.value.problems] == [(4, "NgayHenTra"), (6, None)]
    assert info.value.problems[0].detail == f"MaHoSo '{DOSSIERS[3]['MaHoSo']}'"


def test_an_empty_month_is_valid(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"tong_so": 0, "du_lieu": []}', "utf-8")
    assert observed(read_dossier_export(path)) == {k: (0.0, 0.0) for k in WANT}
    csv_path = tmp_path / "x.csv"
    csv_path.write_text(",".join(FIELDS) + "\r\n", "utf-8-sig")
    assert len(read_dossier_export(csv_path)) == 0


# ------------------------------------------------------------------------------- the vocabulary itself
def test_a_vocabulary_that_is_not_one_meaning_per_spelling_is_refused():
    fields, values = _layout_vocabulary()
    clash = {**fields, "NgayTra": {**fields["NgayTra"], "headers": ["Ngày tiếp nhận"]}}
    with pytest.raises(ValueError, match="spelling of both NgayTiepNhan and NgayTra"):
        parse_dossier_vocabulary(clash, values)
    twice = {**values, "kenh_thuc_hien": {"codes": {1: ["Trực tiếp"], 2: ["trực tiếp"]}}}
    with pytest.raises(ValueError, match="spells both"):
        parse_dossier_vocabulary(fields, twice)
    dates = {**values, "timestamp": {"formats": ["mm/dd/yyyy"]}}
    with pytest.raises(ValueError, match="does not read the format 'mm/dd/yyyy'"):
        parse_dossier_vocabulary(fields, dates)
    with pytest.raises(ValueError, match="not declared"):
        parse_dossier_vocabulary({**fields, "MucDo": {**fields["MucDo"], "values": "levels"}}, values)


# ------------------------------------------------------------------------------------- the API path
def _api_record(d: dict, **changes) -> dict:
    rec = {k: (v.strftime("%d/%m/%Y %H:%M:%S") if isinstance(v, dt.datetime) else v)
           for k, v in d.items() if k != "Fee"}
    rec["DanhSachLePhi"] = [{"MaPhiLePhi": "LP", "TenPhiLePhi": "Lệ phí", "Gia": d["Fee"], "HinhThucThu": None}]
    rec.update(changes)
    return rec


def _client(records: list[dict]) -> PublicServiceClient:
    pages = [FakeResponse(200, {"tong_so": len(records), "trang": 1, "so_ban_ghi": 500, "du_lieu": records}),
             FakeResponse(200, {"tong_so": 0, "trang": 1, "so_ban_ghi": 500, "du_lieu": []})]
    return PublicServiceClient("http://h:1", "T", session=FakeSession(pages), sleep=lambda s: None)


def test_the_api_reads_value_spellings_with_the_same_vocabulary():
    words = [_api_record(d, KenhThucHien=CHANNELS[d["KenhThucHien"]][1], MucDo=LEVELS[d["MucDo"]][3],
                         DuocThanhToanTrucTuyen="Có" if d["DuocThanhToanTrucTuyen"] else "Không")
             for d in DOSSIERS]
    records, _ = _client(words).fetch_month(UNIT, PERIOD)
    assert observed(records) == WANT
    got = records.set_index("ma_ho_so")
    for d in DOSSIERS:
        assert got.loc[d["MaHoSo"], "kenh_thuc_hien"] == d["KenhThucHien"]
        assert got.loc[d["MaHoSo"], "muc_do"] == d["MucDo"]


def test_the_api_stays_strict_on_the_contract_field_names():
    snake = {("kenh_thuc_hien" if k == "KenhThucHien" else k): v for k, v in _api_record(DOSSIERS[0]).items()}
    with pytest.raises(SchemaDriftError, match="record 1, field 'KenhThucHien'"):
        _client([snake]).fetch_month(UNIT, PERIOD)
    with pytest.raises(SchemaDriftError, match="field 'KenhThucHien': found \"qua Zalo\", expected a channel"):
        _client([_api_record(DOSSIERS[0], KenhThucHien="qua Zalo")]).fetch_month(UNIT, PERIOD)
