"""Harmless and harmful transformations of the base deliveries, and the seeded plan of variants.

A harmless transformation changes how a delivery looks and never what it says (issue 15, "Done when"):
column order, unknown extra columns, optional known columns, header and value spellings, case, NFD,
whitespace, line breaks, punctuation, abbreviations, grouped headers up to three levels, other title,
unit and signature blocks, Roman numerals, numbers typed as Vietnamese text, merged group keys, other
units (with the figures rescaled), sheet names, row order, and the file saved as `.xls` (BIFF through
LibreOffice), `.ods` or an HTML table named `.xls`. Each is `apply(delivery, choice, rng) -> notes` and
works in place on a copy; `notes` say what exactly changed (shown when a variant fails).

A harmful transformation makes the delivery wrong in one way the product must refuse, and says which
problem the refusal must carry (`Want*`).

Corpora: tax, health, education, indicators, bieu06 (public_service, Biểu 06 workbook) and dossiers
(public_service, CSV/JSON export).
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from tests.metamorphic import base
from tests.metamorphic.model import (
    BOOL_STYLES,
    Book,
    Col,
    Export,
    ExportCol,
    Line,
    Sheet,
    map_texts,
    nfd,
)

WORKBOOKS = ("tax", "health", "education", "indicators", "bieu06")
CORPORA = (*WORKBOOKS, "dossiers")


@dataclass(frozen=True)
class Step:
    name: str
    choice: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}={self.choice}" if self.choice else self.name

    @property
    def slug(self) -> str:
        """The label for a test id: ASCII, no blanks (accents dropped, đ as d), choices cut at 48 characters."""
        return f"{self.name}={slug(self.choice)}" if self.choice else self.name


def slug(text: str, limit: int = 48) -> str:
    s = unicodedata.normalize("NFD", text).replace("đ", "dd").replace("Đ", "DD")  # Telex: đồng ≠ dồng
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    s = re.sub(r"[^A-Za-z0-9.,%=:~|()/+-]+", "_", s)
    return s[:limit]


@dataclass
class Harmless:
    name: str
    corpora: tuple[str, ...]
    choices: Callable[[str], list[str]]
    apply: Callable
    conflicts: frozenset[str] = frozenset()
    order: int = 50           # application order (lower first); the file format is always last
    combo_choices: Callable[[str], list[str]] | None = None  # choices used in combinations (default: all)


HARMLESS: dict[str, Harmless] = {}


def harmless(name: str, corpora, choices, *, conflicts=(), order=50, combo=None):
    def per_corpus(spec):
        if spec is None:
            return None
        if callable(spec):
            return spec
        if isinstance(spec, dict):
            return lambda corpus: list(spec.get(corpus, []))
        return lambda corpus: list(spec)

    def deco(fn):
        HARMLESS[name] = Harmless(name, tuple(corpora), per_corpus(choices), fn, frozenset(conflicts), order,
                                  per_corpus(combo))
        return fn
    return deco


# ------------------------------------------------------------------------------------------ text helpers
def _vi_number(x: float | int, decimals: int | None = None) -> str:
    """Vietnamese display: dot groups thousands, comma marks decimals (3.765,6)."""
    if isinstance(x, bool):
        raise TypeError(x)
    negative = x < 0
    x = abs(x)
    if decimals is None:
        if isinstance(x, int) or float(x).is_integer():
            decimals = 0
        else:
            decimals = min(len(repr(float(x)).split(".")[1]), 6)
    text = f"{x:,.{decimals}f}"
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return ("-" if negative else "") + text


def _texts_in_cols(book: Book, keys: set[str], fn: Callable[[str], str]) -> None:
    for sheet in book.sheets:
        for col in sheet.cols:
            if col.key in keys:
                col.cells = [fn(v) if isinstance(v, str) else v for v in col.cells]


def _blocks(cols: list[Col]) -> list[list[Col]]:
    """Runs of columns sharing their top header level (a group), or single columns."""
    out: list[list[Col]] = []
    for col in cols:
        if out and len(col.path) > 1 and len(out[-1][0].path) > 1 and out[-1][0].path[0] == col.path[0]:
            out[-1].append(col)
        else:
            out.append([col])
    return out


def _sub_blocks(cols: list[Col]) -> list[list[Col]]:
    out: list[list[Col]] = []
    for col in cols:
        if out and len(col.path) > 2 and len(out[-1][0].path) > 2 and out[-1][0].path[1] == col.path[1]:
            out[-1].append(col)
        else:
            out.append([col])
    return out


# ------------------------------------------------------------------------------------ per-corpus vocab
# Header spellings (levels joined by '|'; a leading '~' replaces the leaf only and keeps the group above).
HEADER_SPELLINGS: dict[str, dict[str, list[str]]] = {
    "tax": {
        "stt": ["TT", "Số TT"],
        "label": ["Nội dung", "Chỉ tiêu"],
        "ma_muc": ["Mã mục/tiểu mục (MLNS)", "MLNS mục (tiểu mục)", "Mã mục/tiểu mục", "Mã MLNS"],
        "phap_lenh": ["Dự toán pháp lệnh", "Dự toán năm|Pháp lệnh", "Dự toán|Pháp lệnh"],
        "hdnd": ["Dự toán HĐND giao", "Dự toán năm|HĐND giao", "~HĐND quyết định", "~Hội đồng nhân dân giao"],
        "th_thang": ["TH tháng", "Thực hiện\ntháng"],
        "luy_ke": ["Luỹ kế từ đầu năm", "Lũy kế\ntừ đầu năm"],
        "cung_ky": ["CÙNG KỲ NĂM TRƯỚC"],
        "tl_du_toan": ["Lũy kế so dự toán (%)", "So sánh (%)|Lũy kế/Dự toán", "SO SÁNH (%)|Lũy kế so dự toán"],
        "tl_cung_ky": ["Lũy kế so cùng kỳ (%)", "So sánh (%)|Lũy kế/Cùng kỳ", "SO SÁNH (%)|Lũy kế so cùng kỳ"],
        "ghi_chu": ["GHI CHÚ"],
    },
    "health": {
        "stt": ["TT"],
        "ma_tram": ["Mã trạm y tế"],
        "ten_tram": ["Tên trạm y tế"],
        "tieu_chi_so": ["Tiêu chí", "Số tiêu chí"],
        "ten_tieu_chi": ["Nội dung tiêu chí"],
        "ket_luan": ["Đạt/Không đạt", "Đạt / Không đạt"],
        "so_qd": ["Số quyết định công nhận", "Quyết định công nhận|Số"],
        "ngay_qd": ["Ngày quyết định", "Ngày QĐ công nhận", "Quyết định công nhận|Ngày"],
        "tt": ["STT"],
        "ket_qua": ["Số lượng"],
    },
    "education": {
        "stt": ["TT"],
        "loai_hinh": ["Loại hình trường"],
        "muc_chuan": ["Mức đạt chuẩn quốc gia", "Chuẩn quốc gia"],
        "cap_do": ["Cấp độ kiểm định chất lượng"],
        "so_qd": ["Số quyết định công nhận", "Quyết định công nhận|Số"],
        "ngay_qd": ["Ngày quyết định", "Ngày QĐ công nhận", "Quyết định công nhận|Ngày"],
        "ngay_het_han": ["Hết hạn"],
    },
    "indicators": {
        "stt": ["TT"],
        "ma": ["Mã"],
        "chi_tieu": ["Tên chỉ tiêu"],
        "dvt": ["ĐVT"],
        "nam_truoc": ["Thực hiện năm 2024", "Thực hiện năm trước"],
        "ke_hoach": ["KH năm", "Kế hoạch năm 2025", "Phương án KH năm nay|KH năm nay"],
    },
    "bieu06": {
        "stt": ["TT"],
        "linh_vuc": ["Lĩnh vực, công việc giải quyết", "Lĩnh vực"],
        "nhan_truc_tuyen": ["Số hồ sơ nhận giải quyết|Trong đó: Trực tuyến"],
        "da_gq_dung_han": ["~Đúng hạn (Bao gồm cả hồ sơ chờ Bổ sung và Trả lại/Xin rút)"],
        "dang_gq_tong": ["Số hồ sơ đang giải quyết|Tổng số"],
    },
}

# Value spellings: column -> {value as in the base: [other spellings]}
VALUE_SPELLINGS: dict[str, dict[str, dict[str, list[str]]]] = {
    "tax": {"label": {base.TAX_TOTAL_LABEL: ["TỔNG THU NGÂN SÁCH NHÀ NƯỚC", "TỔNG THU NGÂN SÁCH NHÀ NƯỚC TRÊN ĐỊA BÀN",
                                             "Tổng thu NSNN trên địa bàn"]}},
    "health": {
        "ket_luan": {"Đạt": ["ĐẠT", "đạt", "Đạt "], "Chưa đạt": ["Không đạt", "CHƯA ĐẠT", "chưa đạt", "Không Đạt"]},
        "noi_dung": {"Số lượng sơ tuyển sức khỏe theo kế hoạch": ["SL sơ tuyển sức khỏe theo KH",
                                                                 "Số lượng sơ tuyển sức khoẻ theo kế hoạch"],
                     "Số lượng đã sơ tuyển": ["SL đã sơ tuyển", "Số lượng đã sơ tuyển (lũy kế)"]},
    },
    "education": {
        "muc_chuan": {"Mức độ 1": ["Mức độ I", "MĐ1", "MĐ 1", "Mức 1", "mức độ 1", "MỨC ĐỘ 1"],
                      "Mức độ 2": ["Mức độ II", "MĐ2", "MĐ 2", "Mức 2", "mức độ 2", "MỨC ĐỘ 2"],
                      "Chưa đạt": ["CHƯA ĐẠT", "chưa đạt", "Không đạt"]},
        "loai_hinh": {"Công lập": ["công lập", "CÔNG LẬP"], "Tư thục": ["tư thục", "TƯ THỤC"]},
    },
    "indicators": {"thang_11": {"Giữ vững": ["giữ vững", "GIỮ VỮNG", "Giữ Vững"]},
                   "stt": {"-": ["+"]}},
    "bieu06": {"linh_vuc": {"Tổng số": ["Tổng cộng", "Cộng", "TỔNG SỐ"]}},
}

# Columns whose text values carry meaning: case transformations act on CASE_COLUMNS (words, never codes
# nor STT markers: a lower-case `i` may be an item letter), whitespace on VALUE_COLUMNS (codes included)
CASE_COLUMNS = {
    "tax": {"label"},
    "health": {"ket_luan", "noi_dung"},
    "education": {"muc_chuan", "loai_hinh", "cap_hoc"},
    "indicators": {"thang_11", "dvt", "chi_tieu"},
    "bieu06": {"linh_vuc"},
}
VALUE_COLUMNS = {
    "tax": {"label", "stt"},
    "health": {"ket_luan", "ma_tram", "noi_dung"},
    "education": {"muc_chuan", "loai_hinh", "ma_truong", "cap_hoc"},
    "indicators": {"thang_11", "dvt", "chi_tieu", "ma"},
    "bieu06": {"linh_vuc"},
}
LABEL_COLUMNS = {"tax": "label", "health": "ten_tieu_chi", "indicators": "chi_tieu", "bieu06": "linh_vuc",
                 "education": "ten_truong"}
# Optional columns that may go without changing what the delivery says (given the base's figures)
DROPPABLE = {
    "tax": ["ma_muc", "tl_du_toan", "tl_cung_ky", "ghi_chu"],
    "health": ["stt", "ten_tram", "ten_tieu_chi", "diem_chuan", "diem_tu_cham", "diem_tham_dinh", "so_qd", "ngay_qd",
               "tt", "ghi_chu"],
    "education": ["stt", "ten_truong", "cap_hoc", "cap_do", "so_qd", "co_quan", "ngay_het_han", "trang_thai"],
    "indicators": ["stt", "chi_tieu", "nam_truoc", "ke_hoach", "thang_12", "ghi_chu"],
    "bieu06": ["stt", "dang_gq_tong", "dang_gq_trong_han", "dang_gq_qua_han"],
}


def _spelling_path(col: Col, spelling: str) -> list[str]:
    if spelling.startswith("~"):
        return [*col.path[:-1], spelling[1:]]
    return spelling.split("|")


# ================================================================================== workbook transformations
@harmless("reorder_columns", WORKBOOKS, ["shuffle", "reverse"], conflicts={"merged_group_keys=tax_total_across"},
          order=60)
def reorder_columns(book: Book, choice: str, rng: random.Random) -> list[str]:
    notes = []
    for sheet in book.sheets:
        blocks = _blocks(sheet.cols)
        new_blocks = []
        for block in blocks:
            subs = _sub_blocks(block) if len(block) > 1 else [block]
            for sub in subs:
                if choice == "shuffle":
                    rng.shuffle(sub)
                else:
                    sub.reverse()
            if choice == "shuffle":
                rng.shuffle(subs)
            else:
                subs.reverse()
            new_blocks.append([c for sub in subs for c in sub])
        if choice == "shuffle":
            rng.shuffle(new_blocks)
        else:
            new_blocks.reverse()
        sheet.cols = [c for b in new_blocks for c in b]
        sheet.renumber_ruler()
        notes.append(f"{sheet.name}: {[c.key for c in sheet.cols]}")
    return notes


EXTRA_HEADERS = ["Ghi chú 2", "Người nhập", "Cột phụ", "Ngày cập nhật", "Mã ĐVHC", "Xếp loại nội bộ"]


def _extra_cells(name: str, n: int, rng: random.Random) -> list:
    if name in ("Ngày cập nhật",):
        return [dt.datetime(2025, 12, rng.randint(1, 4)) if rng.random() < 0.8 else None for _ in range(n)]
    if name in ("Mã ĐVHC",):
        return ["10549"] * n
    if name in ("Cột phụ",):
        return [rng.choice([None, rng.randint(0, 999), round(rng.random() * 100, 1)]) for _ in range(n)]
    if name in ("Người nhập",):
        return [rng.choice(["Hoa", "Minh", None]) for _ in range(n)]
    return [rng.choice([None, "Đã kiểm tra", "x", "Số liệu sơ bộ"]) for _ in range(n)]


@harmless("extra_columns", WORKBOOKS, ["one", "three"], conflicts={"merged_group_keys=tax_total_across"}, order=62)
def extra_columns(book: Book, choice: str, rng: random.Random) -> list[str]:
    notes = []
    for sheet in book.sheets:
        names = rng.sample(EXTRA_HEADERS, 1 if choice == "one" else 3)
        for name in names:
            blocks = _blocks(sheet.cols)
            at = rng.randint(0, len(blocks))
            col = Col(f"extra:{name}", [name], _extra_cells(name, sheet.n, rng), "extra")
            blocks.insert(at, [col])
            sheet.cols = [c for b in blocks for c in b]
            notes.append(f"{sheet.name}: '{name}' at {at}")
        sheet.renumber_ruler()
    return notes


@harmless("drop_optional", WORKBOOKS, ["all", "some"], order=20)
def drop_optional(book: Book, choice: str, rng: random.Random) -> list[str]:
    droppable = set(DROPPABLE[_corpus(book)])
    notes = []
    for sheet in book.sheets:
        candidates = [c.key for c in sheet.cols if c.key in droppable]
        if choice == "some" and candidates:
            candidates = rng.sample(candidates, rng.randint(1, len(candidates)))
        sheet.cols = [c for c in sheet.cols if c.key not in candidates]
        sheet.across = [a for a in sheet.across if a[1] in {c.key for c in sheet.cols}
                        and a[2] in {c.key for c in sheet.cols}]
        sheet.renumber_ruler()
        if candidates:
            notes.append(f"{sheet.name}: dropped {candidates}")
    return notes


def _corpus(book: Book) -> str:
    return "bieu06" if book.source == "public_service" else book.source


MAIN_SHEET = {"tax": "thu_nsnn", "health": "tieu_chi", "education": "danh_sach_truong", "indicators": "chi_tieu",
              "bieu06": "bieu_06"}


def _main(book: Book) -> Sheet:
    """The corpus's main table sheet, wherever the sheets were moved."""
    return book.sheet(MAIN_SHEET[_corpus(book)])


def _insert_after(sheet: Sheet, after_key: str | None, cols: list[Col]) -> None:
    keys = [c.key for c in sheet.cols]
    at = (keys.index(after_key) + 1) if after_key in keys else len(keys)
    sheet.cols[at:at] = cols
    sheet.renumber_ruler()


ADD_OPTIONAL = {
    "tax": ["rates_flat", "rate_single", "import_model_rates"],
    "health": ["nam", "chi_tieu", "van_ban", "ghi_chu"],
    "education": ["van_ban", "ghi_chu"],
    "indicators": ["quarters", "halves", "luy_ke", "nam_nay_tang_them", "trang_thai", "nguon"],
    "bieu06": ["bo_sung", "tra_lai", "ty_le_dung_han", "ty_le_truc_tuyen", "ghi_chu"],
}


@harmless("add_optional", WORKBOOKS, ADD_OPTIONAL, order=22,
          combo={k: [*v, "all"] for k, v in ADD_OPTIONAL.items()})
def add_optional(book: Book, choice: str, rng: random.Random) -> list[str]:
    corpus = _corpus(book)
    choices = ADD_OPTIONAL[corpus] if choice == "all" else [choice]
    if corpus == "tax" and choice == "all":
        choices = ["rates_flat", "import_model_rates"]
    for c in choices:
        _ADDERS[corpus](book, c)
    return [f"added {choices}"]


def _add_tax(book: Book, choice: str) -> None:
    sheet = book.sheet("thu_nsnn")
    rows = base.tax_rows()
    if choice == "rates_flat":
        for key, label in (("tl_du_toan", "Lũy kế so dự toán (%)"), ("tl_cung_ky", "Lũy kế so cùng kỳ (%)")):
            if sheet.has(key):
                sheet.col(key).path = [label]
            else:
                _insert_after(sheet, "cung_ky", [Col(key, [label], [None] * sheet.n, "optional", "number", 1)])
    elif choice == "rate_single":
        cells = sheet.col("tl_du_toan").cells if sheet.has("tl_du_toan") else [None] * sheet.n
        sheet.cols = [c for c in sheet.cols if c.key not in ("tl_du_toan", "tl_cung_ky")]
        _insert_after(sheet, "cung_ky", [Col("tl_so_sanh", ["So sánh (%)"], list(cells), "optional", "number", 1)])
    elif choice == "import_model_rates":
        vs_plan = [None if r["phap_lenh"] is None else round(r["luy_ke"] * 100 / r["phap_lenh"], 1) for r in rows]
        vs_year = [round(r["luy_ke"] * 100 / r["cung_ky"], 1) for r in rows]
        _insert_after(sheet, None, [
            Col("tl_th_pl", ["Thực hiện so với dự toán pháp lệnh"], vs_plan, "optional", "number", 1),
            Col("tl_th_nam", ["Thực hiện so với năm"], vs_year, "optional", "number", 1)])
    sheet.renumber_ruler()


def _add_health(book: Book, choice: str) -> None:
    sheet = book.sheet("tieu_chi")
    rows = base.health_rows()
    if choice == "nam":
        _insert_after(sheet, "stt", [Col("nam", ["Năm"], [2025] * sheet.n, "optional", "int")])
    elif choice == "chi_tieu":
        _insert_after(sheet, "ten_tieu_chi", [Col("chi_tieu", ["Chỉ tiêu"],
                                                  [f"{r['tieu_chi_so']}.1 - {r['tieu_chi_so']}.4" for r in rows])])
    elif choice == "van_ban":
        _insert_after(sheet, None, [Col("van_ban", ["Văn bản căn cứ"], ["QĐ 1300/QĐ-BYT"] * sheet.n)])
    elif choice == "ghi_chu":
        notes = ["Thẩm định lại quý I/2026" if r["ket_luan"] != "Đạt" else None for r in rows]
        _insert_after(sheet, None, [Col("ghi_chu_tc", ["Ghi chú"], notes)])


def _add_education(book: Book, choice: str) -> None:
    sheet = book.sheet("danh_sach_truong")
    if choice == "van_ban":
        texts = {"Mầm non": "TT 19/2018/TT-BGDĐT", "Tiểu học": "TT 17/2018/TT-BGDĐT; TT 22/2024/TT-BGDĐT",
                 "THCS": "TT 18/2018/TT-BGDĐT", "Liên cấp": "TT 18/2018/TT-BGDĐT"}
        _insert_after(sheet, None, [Col("van_ban", ["Văn bản căn cứ"], [texts[r[2]] for r in base.SCHOOLS])])
    elif choice == "ghi_chu":
        notes = ["Đã nộp hồ sơ đánh giá lại" if r[10] == "Đang đánh giá lại" else None for r in base.SCHOOLS]
        _insert_after(sheet, None, [Col("ghi_chu", ["Ghi chú"], notes)])


def _month_values(code: str | None, months) -> float | None:
    if not code or code == "ANTT":
        return None
    series = base.IND_MONTHS[code]
    vals = [series[m - 1] for m in months if m <= base.MONTH]
    if len(vals) < len(list(months)):
        return None
    total = round(sum(vals), 1)
    return int(total) if all(isinstance(v, int) for v in vals) else total


def _add_indicators(book: Book, choice: str) -> None:
    sheet = book.sheet("chi_tieu")
    codes = [r[1] for r in base.IND_ROWS]
    sums = {"TGTSP", "TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV", "LUOT_KHACH", "CTR_SH_TS", "CTR_SH_MS"}

    def period_sum(months):
        return [(_month_values(c, months) if c in sums else None) for c in codes]

    last_month = [c.key for c in sheet.cols if c.key.startswith("thang_")][-1]
    if choice == "quarters":
        cols = [Col(f"quy_{q}", ["Quý", f"Quý {'I II III IV'.split()[q - 1]}"],
                    period_sum(range(3 * q - 2, 3 * q + 1)), "optional", "number", 1) for q in range(1, 5)]
        _insert_after(sheet, last_month, cols)
    elif choice == "halves":
        cols = [Col("sau_thang_dau", ["6 tháng đầu năm"], period_sum(range(1, 7)), "optional", "number", 1),
                Col("chin_thang", ["9 tháng đầu năm"], period_sum(range(1, 10)), "optional", "number", 1),
                Col("sau_thang_cuoi", ["6 tháng cuối năm"], period_sum(range(7, 13)), "optional", "number", 1)]
        _insert_after(sheet, last_month, cols)
    elif choice == "luy_ke":
        _insert_after(sheet, last_month, [Col("luy_ke", ["Lũy kế"], period_sum(range(1, base.MONTH + 1)),
                                              "optional", "number", 1)])
    elif choice == "nam_nay_tang_them":
        if sheet.has("ke_hoach"):
            plan = sheet.col("ke_hoach")
            plan.path = ["Phương án KH năm nay", "KH năm nay"]
            extra = [None if not isinstance(v, (int, float)) or isinstance(v, bool) else
                     round(v - (r[4] if isinstance(r[4], (int, float)) else 0), 2)
                     for v, r in zip(plan.cells, base.IND_ROWS, strict=True)]
            _insert_after(sheet, "ke_hoach", [Col("tang_them", ["Phương án KH năm nay", "Năm nay tăng thêm"], extra,
                                                  "optional", "number", 1)])
    elif choice == "trang_thai":
        _insert_after(sheet, None, [Col("trang_thai", ["Trạng thái số liệu"],
                                        [None if not c else ("Ước tính" if c.startswith("TGTSP") or c == "TNBQ"
                                                             else "Chính thức") for c in codes])])
    elif choice == "nguon":
        _insert_after(sheet, None, [Col("nguon", ["Nguồn dữ liệu"],
                                        [None if not c else "Phòng Kinh tế" for c in codes])])


def _add_bieu06(book: Book, choice: str) -> None:
    sheet = book.sheet("bieu_06")
    rows = base.bieu06_rows()
    if choice == "bo_sung":
        _insert_after(sheet, None, [Col("bo_sung", ["Bổ sung"], [r["nhan_tong"] % 7 for r in rows], "optional", "int")])
    elif choice == "tra_lai":
        _insert_after(sheet, None, [Col("tra_lai", ["Trả lại/Rút HS"], [r["nhan_tong"] % 5 for r in rows],
                                        "optional", "int")])
    elif choice == "ty_le_dung_han":
        _insert_after(sheet, None, [Col("tl_dung_han", ["Tỷ lệ trước hạn, đúng hạn"],
                                        [round(100 * (r["da_gq_truoc_han"] + r["da_gq_dung_han"]) / r["da_gq_tong"], 2)
                                         for r in rows], "optional", "number", 2)])
    elif choice == "ty_le_truc_tuyen":
        rates = [round(100 * r["nhan_truc_tuyen"] / (r["nhan_truc_tuyen"] + r["nhan_truc_tiep"]), 2) for r in rows]
        _insert_after(sheet, None, [Col("tl_truc_tuyen", ["Tỷ lệ trực tuyến (%)"], rates, "optional", "number", 2)])
    elif choice == "ghi_chu":
        _insert_after(sheet, None, [Col("ghi_chu", ["Ghi chú"], ["Gồm hồ sơ liên thông" if r["stt"] == "1" else None
                                                                 for r in rows])])


_ADDERS = {"tax": _add_tax, "health": _add_health, "education": _add_education, "indicators": _add_indicators,
           "bieu06": _add_bieu06}


def _header_choices(corpus: str) -> list[str]:
    return [f"{k}={s}" for k, spellings in HEADER_SPELLINGS.get(corpus, {}).items() for s in spellings]


@harmless("header_spelling", WORKBOOKS, _header_choices, order=30, combo=lambda c: ["mix"])
def header_spelling(book: Book, choice: str, rng: random.Random) -> list[str]:
    corpus = _corpus(book)
    vocab = HEADER_SPELLINGS[corpus]
    if choice == "mix":
        picks = {k: rng.choice(v) for k, v in vocab.items() if rng.random() < 0.6}
    else:
        key, spelling = choice.split("=", 1)
        picks = {key: spelling}
    notes = []
    for sheet in book.sheets:
        for col in sheet.cols:
            if col.key in picks:
                col.path = _spelling_path(col, picks[col.key])
                notes.append(f"{col.key} -> {col.path}")
    return notes


def _value_choices(corpus: str) -> list[str]:
    out = []
    for key, mapping in VALUE_SPELLINGS.get(corpus, {}).items():
        for old, news in mapping.items():
            out += [f"{key}:{old}={new}" for new in news]
    return out


@harmless("value_spelling", WORKBOOKS, _value_choices, order=32, combo=lambda c: ["mix"])
def value_spelling(book: Book, choice: str, rng: random.Random) -> list[str]:
    corpus = _corpus(book)
    notes = []
    if choice == "mix":
        plan = {(key, old): news for key, mapping in VALUE_SPELLINGS[corpus].items() for old, news in mapping.items()}
    else:
        key_old, new = choice.split("=", 1)
        key, old = key_old.split(":", 1)
        plan = {(key, old): [new]}
    for sheet in book.sheets:
        for col in sheet.cols:
            for (key, old), news in plan.items():
                if col.key != key:
                    continue
                for i, v in enumerate(col.cells):
                    if v == old:
                        col.cells[i] = rng.choice(news)  # each cell its own spelling in a mix
                        notes.append(f"{key}[{i}] {old!r} -> {col.cells[i]!r}")
    return notes[:12]


@harmless("case", WORKBOOKS, ["upper_headers", "lower_headers", "title_headers", "upper_values", "lower_values"],
          order=40)
def case(book: Book, choice: str, rng: random.Random) -> list[str]:
    corpus = _corpus(book)
    fn = {"upper": str.upper, "lower": str.lower, "title": str.title}[choice.split("_")[0]]
    if choice.endswith("headers"):
        for sheet in book.sheets:
            for col in sheet.cols:
                col.path = [fn(p) for p in col.path]
    else:
        _texts_in_cols(book, CASE_COLUMNS[corpus], fn)
    return [choice]


@harmless("nfd", WORKBOOKS, ["all", "headers", "values"], order=80)
def nfd_text(book: Book, choice: str, rng: random.Random) -> list[str]:
    map_texts(book, nfd, headers=choice in ("all", "headers"), cells=choice in ("all", "values"),
              lines=choice == "all", names=choice == "all")
    return [choice]


def _spaced(text: str, rng: random.Random) -> str:
    pick = rng.randrange(4)
    if pick == 0:
        return f"  {text} "
    if pick == 1:
        return text.replace(" ", "  ", 1)
    if pick == 2:
        return text.replace(" ", "\u00a0", 1) + " "
    return f"{text}\t"


@harmless("whitespace", WORKBOOKS, ["headers", "values", "all"], order=82)
def whitespace(book: Book, choice: str, rng: random.Random) -> list[str]:
    corpus = _corpus(book)
    for sheet in book.sheets:
        for col in sheet.cols:
            if choice in ("headers", "all"):
                col.path = [_spaced(p, rng) for p in col.path]
            if choice in ("values", "all") and col.key in VALUE_COLUMNS[corpus] | {LABEL_COLUMNS.get(corpus)}:
                col.cells = [_spaced(v, rng) if isinstance(v, str) and v.strip() not in ("-", "+") else v
                             for v in col.cells]
    return [choice]


def _break(text: str, rng: random.Random) -> str:
    spaces = [m.start() for m in re.finditer(" ", text)]
    if not spaces:
        return text
    at = rng.choice(spaces)
    return text[:at] + "\n" + text[at + 1:]


@harmless("header_line_breaks", WORKBOOKS, ["some", "all"], order=84)
def header_line_breaks(book: Book, choice: str, rng: random.Random) -> list[str]:
    notes = []
    for sheet in book.sheets:
        for col in sheet.cols:
            if choice == "all" or rng.random() < 0.5:
                col.path = [_break(p, rng) for p in col.path]
                notes.append(repr(col.path[-1]))
    return notes[:6]


@harmless("label_line_breaks", WORKBOOKS, ["labels"], order=84)
def label_line_breaks(book: Book, choice: str, rng: random.Random) -> list[str]:
    key = LABEL_COLUMNS[_corpus(book)]
    for sheet in book.sheets:
        for col in sheet.cols:
            if col.key == key or (sheet.key == "mau_2a" and col.key == "noi_dung"):
                col.cells = [_break(v, rng) if isinstance(v, str) and len(v) > 12 else v for v in col.cells]
    return [key]


PUNCTUATION = ["trailing_colon", "dashes", "slash_spacing", "percent", "stt_dots"]


@harmless("punctuation", WORKBOOKS, {c: PUNCTUATION if c != "education" else PUNCTUATION[:4] for c in WORKBOOKS},
          order=42)
def punctuation(book: Book, choice: str, rng: random.Random) -> list[str]:
    notes = []
    for sheet in book.sheets:
        for col in sheet.cols:
            if choice == "trailing_colon":
                col.path = [*col.path[:-1], col.path[-1] + ":"]
            elif choice == "dashes":
                col.path = [p.replace(" - ", " – ") for p in col.path]
                col.cells = [v.replace(" - ", " – ") if isinstance(v, str) else v for v in col.cells]
            elif choice == "slash_spacing":
                col.path = [re.sub(r"\s*/\s*", " / ", p) if " / " not in p else p.replace(" / ", "/")
                            for p in col.path]
            elif choice == "percent":
                col.path = [p.replace(" (%)", " %").replace("(%)", "%") for p in col.path]
            elif choice == "stt_dots" and col.key in ("stt", "tt"):
                col.cells = [f"{v}." if isinstance(v, str) and v not in ("-", "+", "") else v for v in col.cells]
        notes.append(f"{sheet.name}: {[c.path[-1] for c in sheet.cols][:6]}")
    return notes


OLD_STYLE = [("ũy", "uỹ"), ("Ũy", "Uỹ"), ("ủy", "uỷ"), ("ủY", "uỶ"), ("òa", "oà"), ("óa", "oá"), ("ỏa", "oả"),
             ("ọa", "oạ"), ("ỏe", "oẻ"), ("óe", "oé"), ("úy", "uý"), ("ụy", "uỵ"), ("ÒA", "OÀ"), ("ÓA", "OÁ"),
             ("ỦY", "UỶ"), ("ŨY", "UỸ"), ("ỎE", "OẺ")]


def _old_style(text: str) -> str:
    for new, old in OLD_STYLE:
        text = text.replace(new, old)
    return text


@harmless("accent_placement", WORKBOOKS, ["old_style"], order=44)
def accent_placement(book: Book, choice: str, rng: random.Random) -> list[str]:
    map_texts(book, _old_style)
    return ["òa->oà, ũy->uỹ, ỏe->oẻ …"]


ABBREVIATE = [("Số lượng", "SL"), ("Kế hoạch", "KH"), ("kế hoạch", "KH"), ("Thực hiện", "TH"),
              ("NGÂN SÁCH NHÀ NƯỚC", "NSNN"), ("ngân sách nhà nước", "NSNN"), ("THỦ TỤC HÀNH CHÍNH", "TTHC"),
              ("Đơn vị tính", "ĐVT"), ("Quyết định", "QĐ"), ("quyết định", "QĐ")]
EXPAND = [("QĐ", "quyết định"), ("TTHC", "thủ tục hành chính"), ("NSNN", "ngân sách nhà nước"),
          ("HĐND", "Hội đồng nhân dân"), ("NVQS", "nghĩa vụ quân sự"), ("ĐVT", "Đơn vị tính")]


def _replace_words(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = re.sub(rf"(?<!\w){re.escape(old)}(?!\w)", new, text)
    return text


@harmless("abbreviations", WORKBOOKS, ["abbreviate", "expand", "stt_as_tt"], order=34)
def abbreviations(book: Book, choice: str, rng: random.Random) -> list[str]:
    if choice == "stt_as_tt":
        for sheet in book.sheets:
            for col in sheet.cols:
                if col.path == ["STT"]:
                    col.path = ["TT"]
                elif col.path == ["TT"]:
                    col.path = ["STT"]
        return ["STT <-> TT"]
    pairs = ABBREVIATE if choice == "abbreviate" else EXPAND
    corpus = _corpus(book)
    for sheet in book.sheets:
        for col in sheet.cols:
            col.path = [_replace_words(p, pairs) for p in col.path]
            if (sheet.key == "mau_2a" and col.key == "noi_dung") or (corpus == "tax" and col.key == "label"):
                col.cells = [_replace_words(v, pairs) if isinstance(v, str) else v for v in col.cells]
        for line in sheet.above:
            line.cells = [(a, _replace_words(t, pairs) if isinstance(t, str) else t) for a, t in line.cells]
    return [choice]


GROUPS = {
    "tax": ["du_toan_no_year", "three_level"],
    "health": ["qd_group", "diem_group", "diem_short", "station_group", "three_level"],
    "education": ["qd_group", "school_group", "three_level"],
    "indicators": ["months_flat", "thuc_hien_nam", "kh_group", "three_level"],
    "bieu06": ["trong_do_inline", "two_level"],
}


def _regroup(sheet: Sheet, keys: list[str], group: list[str], leaves: dict[str, str] | None = None) -> None:
    """Put the columns `keys` (those present) next to each other under the group levels `group`."""
    present = [k for k in keys if sheet.has(k)]
    if not present:
        return
    first = min(sheet.index(k) for k in present)
    moved = [sheet.col(k) for k in present]
    rest = [c for c in sheet.cols if c.key not in present]
    for col in moved:
        leaf = (leaves or {}).get(col.key, col.path[-1])
        col.path = [*group, leaf]
    at = len([c for c in sheet.cols[:first] if c.key not in present])
    sheet.cols = rest[:at] + moved + rest[at:]
    sheet.renumber_ruler()


@harmless("grouped_headers", WORKBOOKS, GROUPS, order=36)
def grouped_headers(book: Book, choice: str, rng: random.Random) -> list[str]:
    corpus = _corpus(book)
    if corpus == "tax":
        sheet = book.sheet("thu_nsnn")
        if choice == "du_toan_no_year":
            for k in ("phap_lenh", "hdnd"):
                col = sheet.col(k)
                if len(col.path) == 2:
                    col.path = ["Dự toán năm", col.path[-1]]
        elif choice == "three_level":
            for k in ("phap_lenh", "hdnd", "th_thang", "luy_ke", "cung_ky"):
                col = sheet.col(k)
                col.path = ["Số liệu thu", *col.path]
    elif corpus in ("health", "education"):
        sheet = _main(book)
        if choice == "qd_group":
            _regroup(sheet, ["so_qd", "ngay_qd"], ["Quyết định công nhận"], {"so_qd": "Số", "ngay_qd": "Ngày"})
        elif choice == "diem_group":
            _regroup(sheet, ["diem_chuan", "diem_tu_cham", "diem_tham_dinh"], ["Điểm"])
        elif choice == "diem_short":
            _regroup(sheet, ["diem_chuan", "diem_tu_cham", "diem_tham_dinh"], ["Điểm"],
                     {"diem_chuan": "Chuẩn", "diem_tu_cham": "Tự chấm", "diem_tham_dinh": "Thẩm định"})
        elif choice == "station_group":
            _regroup(sheet, ["ma_tram", "ten_tram"], ["Trạm y tế"])
        elif choice == "school_group":
            _regroup(sheet, ["ma_truong", "ten_truong", "cap_hoc", "loai_hinh"], ["Thông tin trường"])
        elif choice == "three_level" and corpus == "health":
            _regroup(sheet, ["diem_chuan", "diem_tu_cham", "diem_tham_dinh", "ket_luan"], ["Kết quả đánh giá"])
            for k in ("diem_chuan", "diem_tu_cham", "diem_tham_dinh"):
                if sheet.has(k):
                    col = sheet.col(k)
                    col.path = ["Kết quả đánh giá", "Điểm", col.path[-1]]
            _regroup(sheet, ["so_qd", "ngay_qd"], ["Công nhận đạt chuẩn", "Quyết định công nhận"],
                     {"so_qd": "Số", "ngay_qd": "Ngày"})
        elif choice == "three_level":
            _regroup(sheet, ["muc_chuan", "so_qd", "ngay_qd", "co_quan", "ngay_het_han"],
                     ["Công nhận đạt chuẩn quốc gia"])
            for k, leaf in (("so_qd", "Số"), ("ngay_qd", "Ngày")):
                if sheet.has(k):
                    sheet.col(k).path = ["Công nhận đạt chuẩn quốc gia", "Quyết định công nhận", leaf]
    elif corpus == "indicators":
        sheet = book.sheet("chi_tieu")
        months = [c for c in sheet.cols if c.key.startswith("thang_")]
        if choice == "months_flat":
            for c in months:
                c.path = [c.path[-1]]
        elif choice == "thuc_hien_nam":
            for c in months:
                c.path = ["Thực hiện năm 2025", c.path[-1]]
        elif choice == "kh_group" and sheet.has("ke_hoach"):
            sheet.col("ke_hoach").path = ["Phương án KH năm nay", "KH năm nay"]
        elif choice == "three_level":
            for c in months:
                c.path = ["Năm 2025", "Thực hiện", c.path[-1]]
            if sheet.has("ke_hoach"):
                sheet.col("ke_hoach").path = ["Năm 2025", "Kế hoạch năm"]
                keys = [c.key for c in sheet.cols if c.key != "ke_hoach"]
                first_month = keys.index(months[0].key)
                plan = sheet.col("ke_hoach")
                others = [c for c in sheet.cols if c.key != "ke_hoach"]
                sheet.cols = others[:first_month] + [plan] + others[first_month:]
            sheet.renumber_ruler()
    elif corpus == "bieu06":
        sheet = book.sheet("bieu_06")
        for c in sheet.cols:
            if len(c.path) == 3:
                if choice == "trong_do_inline":
                    leaf = c.path[-1]
                    c.path = [c.path[0], f"Trong đó: {leaf}" if c.key == "nhan_truc_tuyen" else leaf]
                else:
                    c.path = [c.path[0], c.path[-1]]
    return [choice]


TITLE_CHOICES = ["none", "no_block", "long_title", "title_with_period", "period_slash", "period_ky_bao_cao",
                 "form_code", "blank_rows", "unit_left", "unit_above_title", "unit_parenthesised",
                 "unit_in_period_row"]
HAS_UNIT = {"tax", "bieu06"}


@harmless("title_block", WORKBOOKS,
          {c: [t for t in TITLE_CHOICES if not t.startswith("unit") or c in HAS_UNIT or c == "health"]
           for c in WORKBOOKS},
          conflicts={"sheets=rename"}, order=10)
def title_block(book: Book, choice: str, rng: random.Random) -> list[str]:
    corpus = _corpus(book)
    notes = []
    for sheet in book.sheets:
        above = sheet.above
        unit = next((ln for ln in above if ln.role == "unit"), None)
        period = next((ln for ln in above if ln.role == "period"), None)
        title = next((ln for ln in above if ln.role == "title"), None)
        if choice == "none":
            keep = [ln for ln in above if ln.role in ("unit",) or (corpus == "bieu06" and ln.role == "period")]
            sheet.above = keep
        elif choice == "no_block":
            sheet.above = [ln for ln in above if not ln.role.startswith("block") and ln.role != "blank"]
        elif choice == "long_title" and title is not None:
            text = title.cells[0][1]
            words = text.split(" ")
            half = len(words) // 2
            i = above.index(title)
            sheet.above[i:i + 1] = [Line("title", [("center", " ".join(words[:half]))]),
                                    Line("title2", [("center", " ".join(words[half:]) + " (BÁO CÁO ĐỊNH KỲ HẰNG "
                                                                                    "THÁNG THEO KẾ HOẠCH THI ĐUA)")]),
                                    Line("kinh_gui", [("center", "Kính gửi: Ủy ban nhân dân phường Chu Văn An")])]
        elif choice == "title_with_period" and title is not None and period is not None and corpus != "bieu06":
            text = title.cells[0][1]
            title.cells = [("center", text + " THÁNG 11 NĂM 2025")]
            sheet.above.remove(period)
        elif choice == "period_slash" and period is not None and corpus != "bieu06":
            period.cells = [("center", "Tháng 11/2025")]
        elif choice == "period_slash" and period is not None:
            period.cells = [("center", "(Từ ngày 1/11/2025 đến ngày 30/11/2025)")]
        elif choice == "period_ky_bao_cao" and period is not None:
            text = period.cells[0][1]
            period.cells = [("center", "Kỳ báo cáo: " + text.strip("()"))]
        elif choice == "form_code":
            sheet.above.insert(0, Line("code", [("left", "Biểu số 01/BC-TK"), ("right", "Ban hành kèm theo "
                                                                                       "Kế hoạch số 15/KH-UBND")]))
        elif choice == "blank_rows":
            i = above.index(unit or period or title) + 1 if (unit or period or title) else len(above)
            sheet.above[i:i] = [Line("blank"), Line("blank"), Line("blank")]
        elif choice.startswith("unit") and unit is not None:
            text = unit.cells[0][1]
            if choice == "unit_left":
                unit.cells = [(0, text)]
            elif choice == "unit_above_title":
                sheet.above.remove(unit)
                sheet.above.insert(0, Line("unit", [("last", text)]))
            elif choice == "unit_parenthesised":
                unit.cells = [("center", f"({text})")]
            elif choice == "unit_in_period_row" and period is not None:
                sheet.above.remove(unit)
                period.cells = [(0, period.cells[0][1]), ("last", text)]
        notes.append(f"{sheet.name}: {[ln.role for ln in sheet.above]}")
    return notes


SIGNATURE_CHOICES = ["none", "no_gap", "two_gaps", "date_d_m", "date_blank_day", "place_hai_phong", "noi_nhan",
                     "signatures_first", "ke_toan_truong", "note_below"]


@harmless("signature_block", WORKBOOKS, SIGNATURE_CHOICES, order=12)
def signature_block(book: Book, choice: str, rng: random.Random) -> list[str]:
    for sheet in book.sheets:
        date = sheet.line("date")
        if choice == "none":
            sheet.below = []
        elif choice == "no_gap":
            sheet.gap = 0
        elif choice == "two_gaps":
            sheet.gap = 2
        elif choice == "date_d_m" and date:
            date.cells = [("right", "Chu Văn An, ngày 5 tháng 12 năm 2025")]
        elif choice == "date_blank_day" and date:
            date.cells = [("right", "Chu Văn An, ngày      tháng 12 năm 2025")]
        elif choice == "place_hai_phong" and date:
            date.cells = [("right", "Hải Phòng, ngày 05 tháng 12 năm 2025")]
        elif choice == "noi_nhan" and date:
            date.cells = [("left", "Nơi nhận:"), *date.cells]
            i = sheet.below.index(date)
            sheet.below[i + 1:i + 1] = [Line("nn1", [("left", "- Như trên;")]), Line("nn2", [("left", "- Lưu: VT.")])]
        elif choice == "signatures_first" and date:
            sheet.below.remove(date)
            sign = sheet.line("sign")
            i = sheet.below.index(sign) if sign else 0
            sheet.below.insert(i + 1, date)
        elif choice == "ke_toan_truong":
            sign = sheet.line("sign")
            if sign:
                sign.cells = [(0, "Người lập biểu"), ("mid", "Kế toán trưởng"), ("last", "Thủ trưởng đơn vị")]
        elif choice == "note_below":
            sheet.below.insert(0, Line("note", [(0, "Ghi chú: số liệu tháng 11 là số ước thực hiện; - số liệu "
                                                   "chính thức sẽ cập nhật kỳ sau.")]))
            sheet.below.insert(1, Line("blank"))
    return [choice]


@harmless("ruler", WORKBOOKS, ["none", "numbers", "paren", "letters_numbers"], order=64)
def ruler(book: Book, choice: str, rng: random.Random) -> list[str]:
    for sheet in book.sheets:
        sheet.ruler = choice
    return [choice]


ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
ROMAN_CHOICES = {"tax": [], "health": ["criteria_roman", "mau_2a_roman"], "education": ["cap_do_roman", "muc_roman"],
                 "indicators": ["sections_roman", "roman_heading"], "bieu06": ["group_row"]}


@harmless("roman", [c for c in WORKBOOKS if ROMAN_CHOICES[c]], ROMAN_CHOICES, order=24)
def roman(book: Book, choice: str, rng: random.Random) -> list[str]:
    if choice == "criteria_roman":
        col = book.sheet("tieu_chi").col("tieu_chi_so")  # required: never dropped
        col.cells = [ROMAN[v - 1] if isinstance(v, int) else v for v in col.cells]
        col.kind = "text"
    elif choice == "mau_2a_roman":
        sheet = book.sheet("mau_2a")
        if sheet.has("tt"):
            col = sheet.col("tt")
            col.cells = [ROMAN[int(v) - 1] if isinstance(v, str) and v.isdigit() else v for v in col.cells]
    elif choice == "cap_do_roman" and _main(book).has("cap_do"):
        col = _main(book).col("cap_do")
        col.cells = [f"Cấp độ {ROMAN[v - 1]}" if isinstance(v, int) else v for v in col.cells]
        col.kind = "text"
    elif choice == "muc_roman":
        col = _main(book).col("muc_chuan")
        col.cells = [{"Mức độ 1": "Mức độ I", "Mức độ 2": "Mức độ II"}.get(v, v) for v in col.cells]
    elif choice == "sections_roman":
        sheet = book.sheet("chi_tieu")
        if sheet.has("stt"):
            col = sheet.col("stt")
            col.cells = [{"A": "I", "B": "II", "C": "III"}.get(v, v) for v in col.cells]
    elif choice == "roman_heading":
        sheet = book.sheet("chi_tieu")
        _insert_row(sheet, 1, {"stt": "I", "chi_tieu": "TỔNG GIÁ TRỊ SẢN PHẨM TRÊN ĐỊA BÀN"})
    elif choice == "group_row":
        sheet = book.sheet("bieu_06")
        _insert_row(sheet, 0, {"stt": "I", "linh_vuc": "Xã, phường, thị trấn"})
    return [choice]


def _insert_row(sheet: Sheet, at: int, values: dict) -> None:
    for col in sheet.cols:
        col.cells.insert(at, values.get(col.key))
    sheet.across = [(i + (1 if i >= at else 0), a, b) for i, a, b in sheet.across]


@harmless("numbers_as_text", WORKBOOKS, ["vi", "vi_fixed"], order=70)
def numbers_as_text(book: Book, choice: str, rng: random.Random) -> list[str]:
    count = 0
    for sheet in book.sheets:
        for col in sheet.cols:
            if col.kind not in ("number", "int"):
                continue
            out = []
            for v in col.cells:
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    decimals = None
                    if choice == "vi_fixed" and col.kind == "number" and isinstance(v, float):
                        places = len(repr(v).split(".")[1]) if not v.is_integer() else 0
                        decimals = max(col.decimals, places)
                    out.append(_vi_number(v, decimals))
                    count += 1
                else:
                    out.append(v)
            col.cells = out
    return [f"{count} cells as text, e.g. 13.765,6"]


@harmless("missing_marks", WORKBOOKS, ["dash", "en_dash", "blank"], order=72)
def missing_marks(book: Book, choice: str, rng: random.Random) -> list[str]:
    mark = {"dash": "-", "en_dash": "–", "blank": None}[choice]
    n = 0
    for sheet in book.sheets:
        for col in sheet.cols:
            if col.kind not in ("number", "int", "date") or col.role == "extra":
                continue
            new = []
            for v in col.cells:
                if v in (None, "-", "–") and v != mark:
                    n += 1
                    new.append(mark)
                else:
                    new.append(v)
            col.cells = new
    return [f"{n} empty/no-figure cells as {mark!r}"]


MERGE_CHOICES = {"tax": ["tax_total_across"], "health": ["station"], "education": ["loai_hinh", "cap_hoc_co_quan"],
                 "indicators": ["units"], "bieu06": []}


@harmless("merged_group_keys", [c for c in WORKBOOKS if MERGE_CHOICES[c]], MERGE_CHOICES, order=66)
def merged_group_keys(book: Book, choice: str, rng: random.Random) -> list[str]:
    sheet = _main(book)
    if choice == "tax_total_across":
        # the total row's label typed in the STT cell and merged across STT and Nội dung thu
        keys = [c.key for c in sheet.cols]
        if keys.index("label") != keys.index("stt") + 1:
            return ["not adjacent: skipped"]
        stt, label = sheet.col("stt"), sheet.col("label")
        stt.cells[0], label.cells[0] = label.cells[0], None
        sheet.across.append((0, "stt", "label"))
        return ["TỔNG row: label in A, merged A:B"]
    keys = {"station": ["ma_tram", "ten_tram", "so_qd", "ngay_qd"], "loai_hinh": ["loai_hinh"],
            "cap_hoc_co_quan": ["cap_hoc", "co_quan", "loai_hinh"], "units": ["dvt"]}[choice]
    for col in sheet.cols:
        if col.key in keys:
            col.group_key = True
    return [f"merged down: {keys}"]


TAX_UNITS = [("Đơn vị tính: Đồng", 1e6), ("Đơn vị tính: Nghìn đồng", 1e3), ("Đơn vị tính: Tỷ đồng", 1e-3),
             ("Đơn vị tính: 1.000 đồng", 1e3), ("Đơn vị tính: 1.000.000 đồng", 1.0), ("Đơn vị tính: Tr đồng", 1.0),
             ("Đơn vị tính: Tiệu đồng", 1.0), ("Đơn vị tính: Triệu dồng", 1.0), ("Đơn vị tính: triệu đồng", 1.0),
             ("ĐVT: Triệu đồng", 1.0), ("Đơn vị tính: Triệu đồng", 1.0)]
IND_UNITS = [("Đồng", 1e6), ("Nghìn đồng", 1e3), ("Tỷ đồng", 1e-3), ("Tr đồng", 1.0), ("triệu đồng", 1.0),
             ("Tiệu đồng", 1.0), ("Triệu dồng", 1.0), ("1.000 đồng", 1e3)]
UNIT_CHOICES = {"tax": [u for u, _ in TAX_UNITS], "indicators": [u for u, _ in IND_UNITS],
                "health": ["ĐVT: người", "Đơn vị tính: Người (công dân)"], "bieu06": ["Đơn vị tính: Hồ sơ",
                                                                                      "ĐVT: Số hồ sơ TTHC"]}


def _scale(v, factor):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        x = v * factor
        if factor >= 1 and float(x).is_integer() and abs(x) >= 1:
            return int(round(x))
        return round(x, 6)
    return v


@harmless("unit", ["tax", "indicators", "health", "bieu06"], UNIT_CHOICES, order=26)
def unit(book: Book, choice: str, rng: random.Random) -> list[str]:
    corpus = _corpus(book)
    if corpus == "tax":
        factor = dict(TAX_UNITS)[choice]
        sheet = book.sheet("thu_nsnn")
        _set_unit_text(sheet, choice)
        for col in sheet.cols:
            if col.key in base.TAX_MONEY:
                col.cells = [_scale(v, factor) for v in col.cells]
                if factor < 1:
                    col.decimals = 4
        return [f"{choice}: money ×{factor:g}"]
    if corpus == "indicators":
        factor = dict(IND_UNITS)[choice]
        sheet = book.sheet("chi_tieu")
        dvt = sheet.col("dvt")
        money_rows = [i for i, v in enumerate(dvt.cells) if v and v.startswith("Triệu đồng")]
        for i in money_rows:
            dvt.cells[i] = choice + dvt.cells[i][len("Triệu đồng"):]
            for col in sheet.cols:
                if col.kind == "number":
                    col.cells[i] = _scale(col.cells[i], factor)
        return [f"money rows in {choice} (×{factor:g})"]
    sheet = _main(book) if corpus != "health" else book.sheet("mau_2a")
    _set_unit_text(sheet, choice)
    return [choice]


def _set_unit_text(sheet: Sheet, text: str) -> None:
    """Replace the unit line's text, wherever a title_block transformation put it."""
    for line in sheet.above:
        for j, (anchor, value) in enumerate(line.cells):
            if isinstance(value, str) and re.match(r"^\(?\s*(Đơn vị tính|ĐVT)", unicodedata.normalize("NFC", value)):
                parenthesised = value.startswith("(")
                line.cells[j] = (anchor, f"({text})" if parenthesised else text)
                return


SHEET_CHOICES = {c: ["rename", "extra_sheet", "extra_sheet_first", *(["reorder"] if c == "health" else [])]
                 for c in WORKBOOKS}


@harmless("sheets", WORKBOOKS, SHEET_CHOICES, order=14)
def sheets(book: Book, choice: str, rng: random.Random) -> list[str]:
    if choice == "rename":
        for i, sheet in enumerate(book.sheets, start=1):
            sheet.name = f"Sheet{i}" if len(book.sheets) > 1 else "T11-2025"
    elif choice in ("extra_sheet", "extra_sheet_first"):
        rows = [["HƯỚNG DẪN ĐIỀN BIỂU"], ["1. Số liệu tính đến hết ngày cuối tháng."],
                ["2. Không sửa tên cột."], [], ["Người lập biểu", None, "Thủ trưởng đơn vị"]]
        book.extra_sheets.append((0 if choice == "extra_sheet_first" else 99, "Hướng dẫn", rows))
    elif choice == "reorder":
        book.sheets.reverse()
    return [choice]


DATE_STYLES = ["dd/mm/yyyy", "d/m/yyyy", "iso", "with_time", "words"]


def _date_as(value, style: str):
    if not isinstance(value, (dt.date, dt.datetime)):
        return value
    if style == "dd/mm/yyyy":
        return value.strftime("%d/%m/%Y")
    if style == "d/m/yyyy":
        return f"{value.day}/{value.month}/{value.year}"
    if style == "iso":
        return value.strftime("%Y-%m-%d")
    if style == "with_time":
        return value.strftime("%d/%m/%Y 00:00:00")
    if style == "words":
        return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"
    raise ValueError(style)


@harmless("dates_as_text", ["health", "education"], DATE_STYLES, order=28)
def dates_as_text(book: Book, choice: str, rng: random.Random) -> list[str]:
    for sheet in book.sheets:
        for col in sheet.cols:
            if col.kind == "date":
                col.cells = [_date_as(v, choice) for v in col.cells]
    return [choice]


@harmless("row_order", ["health", "education", "indicators", "bieu06"], ["shuffle"], order=16,
          conflicts={"merged_group_keys=loai_hinh", "merged_group_keys=cap_hoc_co_quan"})
def row_order(book: Book, choice: str, rng: random.Random) -> list[str]:
    corpus = _corpus(book)
    sheet = _main(book)
    n = sheet.n
    if corpus == "education":
        order = list(range(n))
        rng.shuffle(order)
    elif corpus == "health":
        stations = {}
        for i, code in enumerate(sheet.col("ma_tram").cells):
            stations.setdefault(code, []).append(i)
        blocks = list(stations.values())
        rng.shuffle(blocks)
        for b in blocks:
            rng.shuffle(b)
        order = [i for b in blocks for i in b]
    elif corpus == "bieu06":
        items = list(range(n - 1))
        rng.shuffle(items)
        order = [*items, n - 1]
    else:  # indicators: each indicator with its sub-rows moves as a block, within its section
        stt = [r[0] for r in base.IND_ROWS]
        sections: list[list[list[int]]] = []
        for i, s in enumerate(stt):
            if s in ("A", "B", "C"):
                sections.append([[i]])
            elif s == "-":
                sections[-1][-1].append(i)
            else:
                sections[-1].append([i])
        order = []
        for sec in sections:
            head, blocks = sec[0], sec[1:]
            rng.shuffle(blocks)
            order += head + [i for b in blocks for i in b]
    for col in sheet.cols:
        col.cells = [col.cells[i] for i in order]
    return [f"row order {order[:8]}…"]


@harmless("format", WORKBOOKS, ["xls", "ods", "html", "xlsx_named_xls"], order=99)
def file_format(book: Book, choice: str, rng: random.Random) -> list[str]:
    book.fmt = choice
    return [choice]


# ================================================================================== dossier transformations
KNOWN_EXTRA_FIELDS = ["NgayNopHoSo", "HinhThuc", "NoiNopHoSo", "HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID",
                      "TrichYeuHoSo"]
UNKNOWN_EXTRA_FIELDS = ["GhiChu", "NguoiNhap", "CotPhu"]
DOSSIER_OPTIONAL = ["MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "MucDo", "NgayTra", "TrangThaiHoSo", "DonViXuLy"]


@harmless("d_reorder_columns", ["dossiers"], ["shuffle", "reverse"], order=60)
def d_reorder(export: Export, choice: str, rng: random.Random) -> list[str]:
    if choice == "shuffle":
        rng.shuffle(export.cols)
    else:
        export.cols.reverse()
    return [",".join(c.header for c in export.cols)[:120]]


def _extra_values(name: str, recs: list[dict], rng: random.Random) -> list:
    if name == "NgayNopHoSo":
        return [(r["NgayTiepNhan"] - dt.timedelta(minutes=rng.randint(5, 600))).strftime("%d/%m/%Y %H:%M:%S")
                for r in recs]
    if name in ("HoSoCoThanhPhanSoHoa", "TaiKhoanDuocXacThucVoiVNeID"):
        return [rng.choice(["true", "false"]) for _ in recs]
    if name == "HinhThuc":
        return [str(rng.choice([1, 2])) for _ in recs]
    if name == "NoiNopHoSo":
        return ["Bộ phận một cửa phường Chu Văn An" for _ in recs]
    if name == "TrichYeuHoSo":
        return [f"Hồ sơ {r['TenTTHC'].lower()}, số {i}" for i, r in enumerate(recs)]
    return [rng.choice(["", "x", "đã đối soát"]) for _ in recs]


@harmless("d_extra_columns", ["dossiers"], ["known_sync_fields", "unknown"], order=62)
def d_extra_columns(export: Export, choice: str, rng: random.Random) -> list[str]:
    names = KNOWN_EXTRA_FIELDS if choice == "known_sync_fields" else UNKNOWN_EXTRA_FIELDS
    for name in names:
        export.cols.insert(rng.randint(0, len(export.cols)),
                           ExportCol(f"extra:{name}", name, "extra", _extra_values(name, export.records, rng)))
    return names


@harmless("d_drop_optional", ["dossiers"], ["all", "some"], order=20)
def d_drop_optional(export: Export, choice: str, rng: random.Random) -> list[str]:
    drop = DOSSIER_OPTIONAL if choice == "all" else rng.sample(DOSSIER_OPTIONAL, rng.randint(1, 5))
    export.cols = [c for c in export.cols if c.key not in drop]
    return drop


@harmless("d_header_case", ["dossiers"], ["lower", "upper", "spaces"], conflicts={"d_json"}, order=40)
def d_header_case(export: Export, choice: str, rng: random.Random) -> list[str]:
    for c in export.cols:
        c.header = {"lower": c.header.lower(), "upper": c.header.upper(), "spaces": f" {c.header} "}[choice]
    return [choice]


@harmless("d_bools", ["dossiers"], [s for s in BOOL_STYLES if s != "true_false"], conflicts={"d_json"}, order=30)
def d_bools(export: Export, choice: str, rng: random.Random) -> list[str]:
    export.bool_style = choice
    return [f"DuocThanhToanTrucTuyen as {BOOL_STYLES[choice]}"]


@harmless("d_dates", ["dossiers"], ["vi_minutes", "iso_t", "iso_space"], order=30)
def d_dates(export: Export, choice: str, rng: random.Random) -> list[str]:
    export.date_style = choice
    return [choice]


@harmless("d_fees", ["dossiers"], ["vi_thousands"], conflicts={"d_json"}, order=30)
def d_fees(export: Export, choice: str, rng: random.Random) -> list[str]:
    export.fee_style = "vi"
    return ["TongPhiLePhi 15.000"]


@harmless("d_encoding", ["dossiers"], ["utf8_no_bom", "utf16_tab", "semicolon", "lf", "quote_all"],
          conflicts={"d_json"}, order=90)
def d_encoding(export: Export, choice: str, rng: random.Random) -> list[str]:
    if choice == "utf8_no_bom":
        export.encoding = "utf-8"
    elif choice == "utf16_tab":
        export.encoding, export.delimiter = "utf-16", "\t"
    elif choice == "semicolon":
        export.delimiter = ";"
    elif choice == "lf":
        export.newline = "\n"
    elif choice == "quote_all":
        export.quote_all = True
    return [choice]


@harmless("d_apostrophe_ids", ["dossiers"], ["apostrophe"], conflicts={"d_json"}, order=30)
def d_apostrophe(export: Export, choice: str, rng: random.Random) -> list[str]:
    export.apostrophe_ids = True
    return ["'000.00.10549-…"]


@harmless("d_nfd", ["dossiers"], ["texts"], order=80)
def d_nfd(export: Export, choice: str, rng: random.Random) -> list[str]:
    for rec in export.records:
        for k in ("TenTTHC", "TenLinhVuc", "DonViXuLy"):
            rec[k] = nfd(rec[k])
    return ["TenTTHC, TenLinhVuc, DonViXuLy in NFD"]


@harmless("d_json", ["dossiers"], ["fee_list", "fee_total", "indented", "numbers_as_text"], order=95)
def d_json(export: Export, choice: str, rng: random.Random) -> list[str]:
    export.fmt = "json"
    if choice == "fee_total":
        export.json_fees = "total"
    elif choice == "indented":
        export.json_indent = 2
    elif choice == "numbers_as_text":
        export.json_numbers_as_text = True
    return [choice]


# ====================================================================================== variants and the plan
@dataclass(frozen=True)
class Variant:
    corpus: str
    index: int
    steps: tuple[Step, ...]

    @property
    def id(self) -> str:
        return f"{self.corpus}-{self.index:03d}-" + "+".join(s.slug for s in self.steps)

    @property
    def fmt(self) -> str | None:
        for s in self.steps:
            if s.name == "format":
                return s.choice
        return None


def applicable(corpus: str) -> list[Harmless]:
    return [t for t in HARMLESS.values() if corpus in t.corpora and t.choices(corpus)]


# Choices that cannot meet in one variant (either would undo or tear apart the other)
CONFLICT_PAIRS = {
    frozenset({"grouped_headers=three_level", "add_optional=nam_nay_tang_them"}),
    frozenset({"grouped_headers=three_level", "add_optional=all"}),
    frozenset({"grouped_headers=kh_group", "add_optional=nam_nay_tang_them"}),
    frozenset({"grouped_headers=kh_group", "add_optional=all"}),
}


def _conflicting(steps: list[Step], new: Step) -> bool:
    for s in steps:
        if s.name == new.name or frozenset({s.label, new.label}) in CONFLICT_PAIRS:
            return True
        for a, b in ((s, new), (new, s)):
            t = HARMLESS[a.name]
            if b.name in t.conflicts or b.label in t.conflicts:
                return True
    return False


# how many variants of each corpus go through LibreOffice (per format), to keep the session short
MAX_CONVERTED = {"xls": 10, "ods": 10}


def plan(corpus: str, total: int = 210) -> list[Variant]:
    """Every single transformation with each of its choices, then seeded combinations up to `total`."""
    rng = random.Random(f"plan:{corpus}")
    out: list[Variant] = []
    for t in sorted(applicable(corpus), key=lambda t: t.order):
        for choice in t.choices(corpus):
            out.append(Variant(corpus, len(out), (Step(t.name, choice),)))
    converted = {f: sum(1 for v in out if v.fmt == f) for f in MAX_CONVERTED}
    pool = [t for t in applicable(corpus)]
    attempts = 0
    while len(out) < total and attempts < 10_000:
        attempts += 1
        k = rng.randint(2, 6)
        steps: list[Step] = []
        for t in rng.sample(pool, min(k, len(pool))):
            choices = (t.combo_choices or t.choices)(corpus)
            step = Step(t.name, rng.choice(choices))
            if step.name == "format" and step.choice in MAX_CONVERTED and \
                    converted[step.choice] >= MAX_CONVERTED[step.choice]:
                continue
            if not _conflicting(steps, step):
                steps.append(step)
        if len(steps) < 2:
            continue
        if corpus in WORKBOOKS and not any(s.name == "format" for s in steps) and rng.random() < 0.3:
            fmt = rng.choice(["xls", "ods", "html", "xlsx_named_xls"])
            if fmt not in MAX_CONVERTED or converted[fmt] < MAX_CONVERTED[fmt]:
                steps.append(Step("format", fmt))
        steps.sort(key=lambda s: HARMLESS[s.name].order)
        fmt = next((s.choice for s in steps if s.name == "format"), None)
        if fmt in converted:
            converted[fmt] += 1
        out.append(Variant(corpus, len(out), tuple(steps)))
    return out


def build(variant: Variant):
    """The variant's delivery (a Book or an Export) and the notes of what each step changed."""
    _, builder, _ = base.BASES[variant.corpus]
    delivery = builder()
    notes: list[str] = []
    for i, step in enumerate(variant.steps):
        rng = random.Random(f"{variant.corpus}:{variant.index}:{i}:{step.label}")
        t = HARMLESS[step.name]
        notes.append(f"{step.label}: " + "; ".join(map(str, t.apply(delivery, step.choice, rng) or [])))
    return delivery, notes


# ====================================================================================== harmful transformations
@dataclass
class WantCell:
    """A problem pointing at one cell: sheet, row as Excel shows it, letter, header as typed, value as typed."""

    sheet: str | None
    row: int
    letter: str | None
    headers: tuple[str, ...]      # acceptable spellings of "the header as typed" (leaf, or the joined path)
    found: str

    def describe(self) -> str:
        return (f"sheet {self.sheet!r}, row {self.row}, column {self.letter} {self.headers[0]!r}, "
                f"found {self.found!r}")


@dataclass
class WantMissing:
    sheet: str | None
    header_rows: tuple[int, int]
    names: tuple[str, ...]        # the missing column's spellings; one must be named

    def describe(self) -> str:
        return (f"sheet {self.sheet!r}: the required column {self.names[0]!r} is missing "
                f"(header rows {self.header_rows})")


@dataclass
class WantDuplicate:
    sheet: str | None
    header_rows: tuple[int, int]
    letters: tuple[str, ...]
    headers: tuple[str, ...]

    def describe(self) -> str:
        return f"sheet {self.sheet!r}: two columns mean one thing: {self.headers} in {self.letters}"


@dataclass
class Harmful:
    corpus: str
    name: str
    apply: Callable          # (delivery) -> list of marks
    context: str = "base"    # base | reordered (columns shuffled, unknown columns added)

    @property
    def id(self) -> str:
        return f"{self.corpus}-{self.name}-{self.context}"


@dataclass
class Mark:
    kind: str                # cell | missing | duplicate
    sheet_key: str | None
    col_keys: tuple[str, ...]
    row_index: int | None = None
    found: str | None = None
    names: tuple[str, ...] = ()


def _set_cell(book: Book, sheet_key: str, col_key: str, match: Callable[[Sheet, int], bool], text: str) -> Mark:
    sheet = book.sheet(sheet_key)
    for i in range(sheet.n):
        if match(sheet, i):
            sheet.col(col_key).cells[i] = text
            return Mark("cell", sheet_key, (col_key,), i, text)
    raise LookupError(f"{sheet_key}.{col_key}: no row matched")


def _row_where(key: str, value) -> Callable[[Sheet, int], bool]:
    return lambda sheet, i: sheet.col(key).cells[i] == value


def _nth_row(n: int) -> Callable[[Sheet, int], bool]:
    return lambda sheet, i: i == n


def _remove(book: Book, sheet_key: str, col_key: str, names: tuple[str, ...]) -> Mark:
    sheet = book.sheet(sheet_key)
    sheet.cols = [c for c in sheet.cols if c.key != col_key]
    sheet.renumber_ruler()
    return Mark("missing", sheet_key, (col_key,), names=names)


def _duplicate(book: Book, sheet_key: str, col_key: str, header: list[str] | None = None,
               change: Callable | None = None) -> Mark:
    sheet = book.sheet(sheet_key)
    col = sheet.col(col_key)
    twin = Col(f"dup:{col_key}", list(header or col.path), [change(v) if change else v for v in col.cells],
               col.role, col.kind, col.decimals)
    # the twin goes to the end of the table, so both keep their own header cells
    sheet.cols.append(twin)
    sheet.renumber_ruler()
    return Mark("duplicate", sheet_key, (col_key, twin.key))


def _bump(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v * 2 + 1
    return v


HARMFUL_BOOK: dict[str, list[tuple[str, Callable[[Book], list[Mark]]]]] = {
    "tax": [
        ("missing_required_column-Thuc_hien_thang",
         lambda b: [_remove(b, "thu_nsnn", "th_thang", ("Thực hiện tháng",))]),
        ("missing_required_column-Luy_ke_tu_dau_nam",
         lambda b: [_remove(b, "thu_nsnn", "luy_ke", ("Lũy kế từ đầu năm",))]),
        ("two_columns_one_meaning-Thuc_hien_thang_twice",
         lambda b: [_duplicate(b, "thu_nsnn", "th_thang", change=_bump)]),
        ("two_columns_one_meaning-Luy_ke_and_Luy_ke_old_accents",
         lambda b: [_duplicate(b, "thu_nsnn", "luy_ke", ["Luỹ kế từ đầu năm"], _bump)]),
        ("number_as_words-muoi_hai",
         lambda b: [_set_cell(b, "thu_nsnn", "th_thang", _row_where("stt", "2"), "mười hai")]),
        ("three_bad_cells",
         lambda b: [_set_cell(b, "thu_nsnn", "th_thang", _row_where("stt", "2"), "mười hai"),
                    _set_cell(b, "thu_nsnn", "luy_ke", _row_where("stt", "5"), "ba trăm"),
                    _set_cell(b, "thu_nsnn", "hdnd", _row_where("stt", "7"), "abc")]),
    ],
    "health": [
        ("missing_required_column-Ket_luan", lambda b: [_remove(b, "tieu_chi", "ket_luan", ("Kết luận",
                                                                                            "Đạt/Không đạt"))]),
        ("missing_required_column-Ma_tram", lambda b: [_remove(b, "tieu_chi", "ma_tram", ("Mã trạm",))]),
        ("missing_required_column-Mau2a_Ket_qua", lambda b: [_remove(b, "mau_2a", "ket_qua", ("Kết quả",))]),
        ("two_columns_one_meaning-Ket_luan_and_Dat_Khong_dat",
         lambda b: [_duplicate(b, "tieu_chi", "ket_luan", ["Đạt/Không đạt"],
                               lambda v: "Chưa đạt" if v == "Đạt" else "Đạt")]),
        ("value_outside_vocabulary-Dat_mot_phan",
         lambda b: [_set_cell(b, "tieu_chi", "ket_luan", _nth_row(2), "Đạt một phần")]),
        ("number_as_words-Mau2a_muoi_hai",
         lambda b: [_set_cell(b, "mau_2a", "ket_qua", _nth_row(1), "mười hai")]),
        ("three_bad_cells",
         lambda b: [_set_cell(b, "tieu_chi", "ket_luan", _nth_row(2), "Đạt một phần"),
                    _set_cell(b, "tieu_chi", "ket_luan", _nth_row(16), "Tốt"),
                    _set_cell(b, "mau_2a", "ket_qua", _nth_row(0), "một trăm tám mươi")]),
    ],
    "education": [
        ("missing_required_column-Muc_chuan_quoc_gia",
         lambda b: [_remove(b, "danh_sach_truong", "muc_chuan", ("Mức chuẩn quốc gia",))]),
        ("missing_required_column-Ngay_QD",
         lambda b: [_remove(b, "danh_sach_truong", "ngay_qd", ("Ngày QĐ", "Ngày quyết định"))]),
        ("missing_required_column-Loai_hinh",
         lambda b: [_remove(b, "danh_sach_truong", "loai_hinh", ("Loại hình",))]),
        ("two_columns_one_meaning-Muc_chuan_twice",
         lambda b: [_duplicate(b, "danh_sach_truong", "muc_chuan",
                               change=lambda v: "Mức độ 2" if v == "Mức độ 1" else "Mức độ 1")]),
        ("value_outside_vocabulary-Muc_do_5",
         lambda b: [_set_cell(b, "danh_sach_truong", "muc_chuan", _nth_row(4), "Mức độ 5")]),
        ("value_outside_vocabulary-date_31_02",
         lambda b: [_set_cell(b, "danh_sach_truong", "ngay_qd", _nth_row(0), "31/02/2022")]),
        ("three_bad_cells",
         lambda b: [_set_cell(b, "danh_sach_truong", "muc_chuan", _nth_row(4), "Mức độ 5"),
                    _set_cell(b, "danh_sach_truong", "muc_chuan", _nth_row(8), "Đạt chuẩn"),
                    _set_cell(b, "danh_sach_truong", "ngay_qd", _nth_row(0), "31/02/2022")]),
    ],
    "indicators": [
        ("missing_required_column-Ma_chi_tieu", lambda b: [_remove(b, "chi_tieu", "ma", ("Mã chỉ tiêu",))]),
        ("missing_required_column-Don_vi_tinh", lambda b: [_remove(b, "chi_tieu", "dvt", ("Đơn vị tính",))]),
        ("missing_required_column-Thang_11", lambda b: [_remove(b, "chi_tieu", "thang_11", ("Tháng 11",))]),
        ("two_columns_one_meaning-Thang_11_twice", lambda b: [_duplicate(b, "chi_tieu", "thang_11", change=_bump)]),
        ("value_outside_vocabulary-ANTT_Tam_on_dinh",
         lambda b: [_set_cell(b, "chi_tieu", "thang_11", _row_where("ma", "ANTT"), "Tạm ổn định")]),
        ("number_as_words-LUOT_KHACH",
         lambda b: [_set_cell(b, "chi_tieu", "thang_11", _row_where("ma", "LUOT_KHACH"), "mười hai nghìn")]),
        ("three_bad_cells",
         lambda b: [_set_cell(b, "chi_tieu", "thang_11", _row_where("ma", "ANTT"), "Tạm ổn định"),
                    _set_cell(b, "chi_tieu", "thang_11", _row_where("ma", "LUOT_KHACH"), "mười hai nghìn"),
                    _set_cell(b, "chi_tieu", "thang_11", _row_where("ma", "TGTSP_NLTS"), "abc")]),
    ],
    "bieu06": [
        ("missing_required_column-Truc_tuyen",
         lambda b: [_remove(b, "bieu_06", "nhan_truc_tuyen", ("Trực tuyến",))]),
        ("missing_required_column-Da_giai_quyet_Tong_so",
         lambda b: [_remove(b, "bieu_06", "da_gq_tong", ("Tổng số", "Số hồ sơ đã giải quyết"))]),
        ("two_columns_one_meaning-Dung_han_twice",
         lambda b: [_duplicate(b, "bieu_06", "da_gq_dung_han", change=_bump)]),
        ("number_as_words-Truc_tuyen",
         lambda b: [_set_cell(b, "bieu_06", "nhan_truc_tuyen", _nth_row(1), "mười hai")]),
        ("three_bad_cells",
         lambda b: [_set_cell(b, "bieu_06", "nhan_truc_tuyen", _nth_row(1), "mười hai"),
                    _set_cell(b, "bieu_06", "da_gq_dung_han", _nth_row(0), "một trăm bốn mươi"),
                    _set_cell(b, "bieu_06", "da_gq_truoc_han", _nth_row(3), "abc")]),
    ],
}


def _d_cell(export: Export, key: str, i: int, text: str) -> Mark:
    export.overrides[(i, key)] = text
    return Mark("cell", None, (key,), i, text)


def _d_remove(export: Export, key: str) -> Mark:
    export.cols = [c for c in export.cols if c.key != key]
    return Mark("missing", None, (key,), names=(key,))


def _d_duplicate(export: Export, key: str, header: str | None = None) -> Mark:
    col = next(c for c in export.cols if c.key == key)
    values = []
    for rec in export.records:
        shifted = dict(rec)
        if isinstance(rec.get(key), dt.datetime):
            shifted[key] = rec[key] - dt.timedelta(days=40)
        values.append(_d_field_text(export, shifted, key))
    export.cols.append(ExportCol(f"dup:{key}", header or col.header, col.role, values))
    return Mark("duplicate", None, (key, f"dup:{key}"))


def _d_field_text(export: Export, rec: dict, key: str) -> str:
    from tests.metamorphic.model import field_text
    return field_text(export, rec, key)


HARMFUL_EXPORT: dict[str, list[tuple[str, Callable[[Export], list[Mark]]]]] = {
    "dossiers": [
        ("missing_required_column-KenhThucHien", lambda e: [_d_remove(e, "KenhThucHien")]),
        ("missing_required_column-NgayTiepNhan", lambda e: [_d_remove(e, "NgayTiepNhan")]),
        ("two_columns_one_meaning-NgayTiepNhan_twice", lambda e: [_d_duplicate(e, "NgayTiepNhan")]),
        ("two_columns_one_meaning-NgayTiepNhan_and_lowercase", lambda e: [_d_duplicate(e, "NgayTiepNhan",
                                                                                        "ngaytiepnhan")]),
        ("value_outside_vocabulary-bool_chua_ro", lambda e: [_d_cell(e, "DuocThanhToanTrucTuyen", 4, "chưa rõ")]),
        ("value_outside_vocabulary-KenhThucHien_7", lambda e: [_d_cell(e, "KenhThucHien", 6, "7")]),
        ("value_outside_vocabulary-date_31_11", lambda e: [_d_cell(e, "NgayTiepNhan", 9, "31/11/2025 08:00:00")]),
        ("number_as_words-TongPhiLePhi", lambda e: [_d_cell(e, "TongPhiLePhi", 3, "mười lăm nghìn")]),
        ("three_bad_cells", lambda e: [_d_cell(e, "DuocThanhToanTrucTuyen", 4, "chưa rõ"),
                                       _d_cell(e, "NgayTiepNhan", 9, "31/11/2025 08:00:00"),
                                       _d_cell(e, "TongPhiLePhi", 12, "mười lăm nghìn")]),
    ],
}


def harmful_cases() -> list[Harmful]:
    out = []
    for corpus, cases in HARMFUL_BOOK.items():
        for name, fn in cases:
            for context in ("base", "reordered", "dressed", "html"):
                out.append(Harmful(corpus, name, fn, context))
    for corpus, cases in HARMFUL_EXPORT.items():
        for name, fn in cases:
            for context in ("csv", "reordered_csv", "json"):
                if context == "json" and ("two_columns" in name or "missing" in name):
                    continue  # a JSON object cannot carry a key twice; a missing key is another case
                out.append(Harmful(corpus, name, fn, context))
    return out


DRESS_GROUPS = {"tax": "three_level", "health": "three_level", "education": "three_level",
                "indicators": "three_level", "bieu06": "trong_do_inline"}
case_ = case  # the transformation (the name `case` is taken by harmful cases below)


def build_harmful(case: Harmful):
    """(delivery, marks): the base (or a reordered variant with unknown columns) with the harm applied."""
    _, builder, _ = base.BASES[case.corpus]
    delivery = builder()
    rng = random.Random(f"harm:{case.id}")
    if case.context == "reordered":
        reorder_columns(delivery, "shuffle", rng)
        extra_columns(delivery, "one", rng)
    elif case.context == "dressed":
        # headers grouped (three levels where the form allows), upper-case and in NFD: "as typed" is that
        grouped_headers(delivery, DRESS_GROUPS[case.corpus], rng)
        case_(delivery, "upper_headers", rng)
        nfd_text(delivery, "headers", rng)
    elif case.context == "html":
        delivery.fmt = "html"
    elif case.context == "reordered_csv":
        d_reorder(delivery, "shuffle", rng)
        d_extra_columns(delivery, "unknown", rng)
    elif case.context == "json":
        delivery.fmt = "json"
    marks = case.apply(delivery)
    return delivery, marks


def wants_for_book(book: Book, placed: dict, marks: list[Mark]) -> list:
    """What the refusal must name for each mark. An HTML table has no sheet name: its sheet is not checked."""
    out = []
    for m in marks:
        p = placed[m.sheet_key]
        if book.fmt == "html":
            p = copy.copy(p)
            p.sheet = None
        if m.kind == "cell":
            key = m.col_keys[0]
            path = p.headers[key]
            out.append(WantCell(p.sheet, p.data_rows[m.row_index], p.letters[key],
                                (path[-1], " / ".join(path)), m.found))
        elif m.kind == "missing":
            out.append(WantMissing(p.sheet, p.header_rows, m.names))
        elif m.kind == "duplicate":
            out.append(WantDuplicate(p.sheet, p.header_rows, tuple(p.letters[k] for k in m.col_keys),
                                     tuple(x for k in m.col_keys for x in (p.headers[k][-1],
                                                                           " / ".join(p.headers[k])))))
    return out


def wants_for_export(export: Export, placed: dict, marks: list[Mark]) -> list:
    out = []
    for m in marks:
        if m.kind == "cell":
            key = m.col_keys[0]
            out.append(WantCell(None, placed["rows"][m.row_index], placed["letters"].get(key),
                                (placed["headers"][key],), m.found))
        elif m.kind == "missing":
            out.append(WantMissing(None, (1, 1), m.names))
        elif m.kind == "duplicate":
            out.append(WantDuplicate(None, (1, 1), tuple(placed["letters"][k] for k in m.col_keys),
                                     tuple(placed["headers"][k] for k in m.col_keys)))
    return out


def fold(text: object) -> str:
    """Accent-folded, case-folded, whitespace-collapsed text (for 'names the column' checks only)."""
    s = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    return " ".join(s.casefold().split())


def _typed(text: object) -> str:
    """Text as a person sees it typed: NFC (NFD looks the same), runs of whitespace as one space."""
    return " ".join(unicodedata.normalize("NFC", str(text)).split()) if text is not None else ""


def matches(want, problem, file_name: str) -> bool:
    """Does one product `Problem` carry what `want` asks for?"""
    if getattr(problem, "file", None) != file_name:
        return False
    if isinstance(want, WantCell):
        found = problem.found if isinstance(problem.found, str) or problem.found is None else str(problem.found)
        return (problem.row == want.row and problem.letter == want.letter
                and _typed(problem.column) in {_typed(h) for h in want.headers}
                and _typed(found) == _typed(want.found) and (want.sheet is None or problem.sheet == want.sheet))
    if isinstance(want, WantMissing):
        text = fold(" ".join(str(x) for x in (problem.column, problem.expected, problem.found, problem.detail)))
        named = any(fold(n) in text for n in want.names)
        # the refusal points at the header it did find (a row of the header band), not at "no header"
        in_header = problem.row is not None and want.header_rows[0] <= problem.row <= want.header_rows[1]
        return named and in_header and (want.sheet is None or problem.sheet == want.sheet)
    if isinstance(want, WantDuplicate):
        in_header = problem.row is not None and want.header_rows[0] <= problem.row <= want.header_rows[1]
        return (in_header and problem.letter in want.letters
                and _typed(problem.column) in {_typed(h) for h in want.headers}
                and (want.sheet is None or problem.sheet == want.sheet))
    raise TypeError(want)


__all__ = ["CORPORA", "HARMLESS", "Harmful", "Step", "Variant", "WORKBOOKS", "build", "build_harmful",
           "harmful_cases", "matches", "plan", "wants_for_book", "wants_for_export"]
