"""Deliveries of the completeness suite (issue 16) and what they should leave in force.

Every builder starts from a generated sample (the `samples_dir` of the session) and transforms it with
openpyxl or json, as an office or a vendor's software would have. Cells are addressed as the generator
writes them (docs/contracts.md "Generated specifics"): tax row 10 the total, row 11 section I, rows 12-20
items 1-9, row 21 section II, columns D..H the money; the school register's schools on rows 8-22; the
indicators sheet's rows 9-33 (section B starts on row 15).

The expected figures are computed here from the delivered cells read back with openpyxl, from
samples/params.yaml (through tests/expected.py, which re-implements the generator's rules) or from the raw
dossiers, never through a connector or the warehouse.

`MisbehavingApi` is a loopback stand-in of the one-stop API that can do what `standin/public_service.py`
cannot: report a total that shrinks between pages, ignore the page number, or answer with a gzip bomb.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl

from tests.expected import _params, _r1, _ts

MILLION = 1_000_000.0

# ------------------------------------------------------------------------------------------ workbooks
TAX_SHEET = "Thu NSNN"
TAX_MEMBERS = {10: "TONG", 11: "I", **{12 + i: f"I.{i + 1}" for i in range(9)}, 21: "II"}
TAX_COLUMNS = {"D": "REV_ESTIMATE_STATE", "E": "REV_ESTIMATE_COUNCIL", "F": "REV_MONTH", "G": "REV_YTD",
               "H": "REV_PRIOR_YTD"}


def _save(wb, sample: Path, out: Path) -> Path:
    target = out / sample.name
    wb.save(target)
    return target


def tax_totals_as_formulas(sample: Path, out: Path) -> Path:
    """The tax report as software writes it: the total row is `=D11`, section I `=SUM(D12:D20)`, in every
    money column, saved by openpyxl, which writes the formula and no cached result (never opened in Excel).
    Item 8's `-` cells sit inside the sums, as in Excel (SUM passes over text)."""
    wb = openpyxl.load_workbook(sample)
    ws = wb[TAX_SHEET]
    for col in TAX_COLUMNS:
        ws[f"{col}10"] = f"={col}11"
        ws[f"{col}11"] = f"=SUM({col}12:{col}20)"
    return _save(wb, sample, out)


def _shift_merges(ws, at: int, by: int = 1) -> None:
    """openpyxl's insert_rows leaves merged ranges where they were: move those at or below `at` too."""
    moved = []
    for rng in list(ws.merged_cells.ranges):
        if rng.min_row >= at:
            moved.append((rng.min_row, rng.min_col, rng.max_row, rng.max_col))
            ws.unmerge_cells(str(rng))
    ws.insert_rows(at, by)
    for r1, c1, r2, c2 in moved:
        ws.merge_cells(start_row=r1 + by, start_column=c1, end_row=r2 + by, end_column=c2)


def blank_row_at(row: int) -> Callable[[Path, Path], Path]:
    """A fully empty row inserted at `row` of the first sheet (everything from `row` down moves one row)."""
    def build(sample: Path, out: Path) -> Path:
        wb = openpyxl.load_workbook(sample)
        _shift_merges(wb.worksheets[0], row)
        return _save(wb, sample, out)
    return build


def _stale(ws) -> None:
    """The figures of an earlier draft: item 1 lower by 1,000 million in month and year to date (the total
    and section I follow, so the stale sheet is consistent and would load if it were read)."""
    for col in ("F", "G"):
        for row in (10, 11, 12):
            ws[f"{col}{row}"] = round(float(ws[f"{col}{row}"].value) - 1000.0, 1)


def hidden_stale_sheet(sample: Path, out: Path) -> Path:
    """The sheet `Thu NSNN` hidden with stale figures, followed by the visible corrected copy `Thu NSNN (2)`
    (what is left when someone corrects a copy and hides the original)."""
    wb = openpyxl.load_workbook(sample)
    original = wb[TAX_SHEET]
    corrected = wb.copy_worksheet(original)
    corrected.title = f"{TAX_SHEET} (2)"
    _stale(original)
    original.sheet_state = "hidden"
    wb.active = wb.index(corrected)
    return _save(wb, sample, out)


REAL_SHEET = "Báo cáo tháng 6"


def draft_sheet_first(sample: Path, out: Path) -> Path:
    """A visible draft sheet `Nháp` (stale figures, same title and period line) placed before the real one,
    which the office renamed `Báo cáo tháng 6`: neither is named as the layout expects, both carry the
    report's title, so only "drafts are never read" tells them apart."""
    wb = openpyxl.load_workbook(sample)
    real = wb[TAX_SHEET]
    real.title = REAL_SHEET
    draft = wb.copy_worksheet(real)
    draft.title = "Nháp"
    _stale(draft)
    wb.move_sheet(draft, offset=-wb.index(draft))
    wb.active = 0
    return _save(wb, sample, out)


def tax_figures(path: Path, sheet: str = TAX_SHEET) -> dict[tuple[str, str], float]:
    """{(indicator, member): VND} as typed in the sheet (million VND x 1e6); a `-` or empty cell is no figure."""
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    assert ws.sheet_state == "visible"
    out = {}
    for row, member in TAX_MEMBERS.items():
        for col, indicator in TAX_COLUMNS.items():
            value = ws[f"{col}{row}"].value
            if isinstance(value, (int, float)):
                out[(indicator, member)] = float(value) * MILLION
    return out


# ---------------------------------------------------------------------------------- from params.yaml
def school_figures(period: str) -> dict[str, float]:
    """{school code: 1.0 / 0.0} for every public school of the register at `period`'s end (params.yaml)."""
    year, month = int(period[:4]), int(period[5:7])
    end = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))
    out = {}
    for school in _params()["education"]["schools"]:
        if school["loai"] != "Công lập":
            continue
        recs = [r for r in school["rec"] if r[1] <= end]
        valid = False
        if recs:
            _no, granted, level, expiry, _issuer = recs[-1]
            until = expiry or granted.replace(year=granted.year + 5)
            valid = level in ("Mức độ 1", "Mức độ 2") and until >= end
        out[school["code"]] = 1.0 if valid else 0.0
    return out


RATE_CODES = ("HO_NGHEO", "GDVH", "TDP_VH", "NUOC_SACH", "CTR_SH")
INDICATOR_CODES = ("TGTSP", "TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV", "TNBQ", *RATE_CODES, "LUOT_KHACH", "ANTT")


def indicator_figures(period: str) -> dict[str, tuple]:
    """{indicator: (value, numerator, denominator, text)} of the month, from params.yaml (None = not checked:
    a rate's % is as written, judged with its counts)."""
    p = _params()["indicators"]
    year, m = int(period[:4]), int(period[5:7])
    out = {}
    sectors = 0.0
    for code, sector in (("TGTSP_NLTS", "NLTS"), ("TGTSP_CNXD", "CNXD"), ("TGTSP_TMDV", "TMDV")):
        month = _r1(p["tgtsp"]["annual"][sector][year], p["tgtsp"]["profiles"][sector][m - 1])
        sectors += month
        out[code] = (month * MILLION, None, None, None)
    out["TGTSP"] = (sectors * MILLION, None, None, None)
    out["TNBQ"] = (p["tnbq"]["monthly"][year][m - 1] * MILLION, None, None, None)
    for code in RATE_CODES:
        rate = p["rates"][code]
        ts, ms = rate["ts"][year], rate["ms"][year]
        ts, ms = (ts[m - 1] if isinstance(ts, list) else ts), (ms[m - 1] if isinstance(ms, list) else ms)
        out[code] = (None, float(ts), float(ms), None)
    out["LUOT_KHACH"] = (float(p["luot_khach"]["monthly"][year][m - 1]), None, None, None)
    out["ANTT"] = (1.0, None, None, p["antt"]["text"])
    return out


# ------------------------------------------------------------------------------------------ dossiers
NEIGHBOUR_CODE, NEIGHBOUR_OFFICE = "10570", "UBND phường Trần Hưng Đạo"   # QĐ 19/2025: phường Trần Hưng Đạo


def _in(stamp: str | None, period: str) -> bool:
    return bool(stamp) and stamp[3:10] == f"{period[5:7]}/{period[:4]}"


def dossier_figures(records: list[dict], period: str) -> dict[str, tuple[float, float]]:
    """{indicator: (numerator, denominator)} of the month from raw dossiers, by docs/contracts.md: online =
    received via channel 2 / received; on time = finished with date(end) <= date(due) / finished (a dossier
    with NgayTuChoi is never finished); fees = paid online / received with a fee above 0."""
    received = [r for r in records if _in(r["NgayTiepNhan"], period)]
    finished = [r for r in records if _in(r["NgayKetThucXuLy"], period) and not r["NgayTuChoi"]]
    fee = [r for r in received if sum((f.get("Gia") or 0) for f in r["DanhSachLePhi"]) > 0]
    return {
        "DOSSIER_ONLINE": (float(sum(r["KenhThucHien"] == 2 for r in received)), float(len(received))),
        "DOSSIER_ON_TIME": (float(sum(_ts(r["NgayKetThucXuLy"]).date() <= _ts(r["NgayHenTra"]).date()
                                      for r in finished)), float(len(finished))),
        "DOSSIER_FEE_ONLINE": (float(sum(bool(r["DuocThanhToanTrucTuyen"]) for r in fee)), float(len(fee))),
    }


def month_dossiers(samples: Path, period: str) -> list[dict]:
    """The raw dossiers received or finished in `period` (from the generator's dossiers.json)."""
    data = json.loads((samples / "public_service" / "dossiers.json").read_text(encoding="utf-8"))["du_lieu"]
    return [r for r in data if _in(r["NgayTiepNhan"], period) or _in(r["NgayKetThucXuLy"], period)]


def json_export(change: Callable[[dict], object]) -> Callable[[Path, Path], Path]:
    """The month's JSON export after `change(envelope)` mutates it."""
    def build(sample: Path, out: Path) -> Path:
        envelope = json.loads(sample.read_text(encoding="utf-8"))
        change(envelope)
        target = out / sample.name
        target.write_text(json.dumps(envelope, ensure_ascii=False), encoding="utf-8")
        return target
    return build


def empty_json(envelope: dict) -> None:
    envelope["tong_so"], envelope["du_lieu"] = 0, []


def header_only_csv(sample: Path, out: Path) -> Path:
    """The month's CSV export with its header line and no dossier (UTF-8 BOM, CRLF, as exported)."""
    data = sample.read_bytes()
    target = out / sample.name
    target.write_bytes(data[: data.index(b"\r\n") + 2])
    return target


def declaring(total: int) -> Callable[[dict], None]:
    def change(envelope: dict) -> None:
        envelope["tong_so"] = total
    return change


def with_neighbour_dossiers(n: int) -> Callable[[dict], None]:
    """`n` dossiers of the neighbouring ward (phường Trần Hưng Đạo, 10570) added: copies of this month's
    first received dossiers, with the neighbour's MaHoSo prefix and DonViXuLy, dated in the month."""
    def change(envelope: dict) -> None:
        own = envelope["du_lieu"]
        period_mm = own[len(own) // 2]["NgayTiepNhan"][3:10]
        received = [r for r in own if r["NgayTiepNhan"][3:10] == period_mm][:n]
        assert len(received) == n
        for r in received:
            other = copy.deepcopy(r)
            other["MaHoSo"] = other["MaHoSo"].replace(".10549-", f".{NEIGHBOUR_CODE}-")
            other["DonViXuLy"] = NEIGHBOUR_OFFICE
            own.append(other)
        envelope["tong_so"] = len(own)
    return change


# ------------------------------------------------------------------------- Biểu 06/VPCP/KSTT workbook
BIEU06_SHEET = "Biểu 06"
BIEU06_TOP = ["STT", "Lĩnh vực, công việc giải quyết theo cấp", "Số hồ sơ nhận giải quyết", None, None, None,
              "Số hồ sơ đã giải quyết", None, None, None, "Số lượng hồ sơ đang giải quyết", None, None]
BIEU06_MID = [None, None, "Tổng số", "Trong đó", None, None, "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn",
              "Tổng số", "Trong hạn", "Quá hạn"]
BIEU06_LOW = [None, None, None, "Trực tuyến", "Trực tiếp, dịch vụ bưu chính", "Từ kỳ trước", None, None, None,
              None, None, None, None]
BIEU06_MERGES = ["A6:A8", "B6:B8", "C6:F6", "G6:J6", "K6:M6", "C7:C8", "D7:F7", "G7:G8", "H7:H8", "I7:I8",
                 "J7:J8", "K7:K8", "L7:L8", "M7:M8"]
BIEU06_FIRST_ROW = 10   # the first field's row; the "Tổng số" row follows the fields


def bieu06_rows(records: list[dict], period: str) -> list[list]:
    """One row per field (TenLinhVuc) of the ward's dossiers for `period`: received online / in person or by
    post / carried over from before the month (received earlier, not finished when it began); finished in
    the month early / on the due date / late; pending at its end in time / late. Each row adds up."""
    year, month = int(period[:4]), int(period[5:7])
    first = dt.datetime(year, month, 1)
    last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))
    after = dt.datetime.combine(last_day, dt.time(23, 59, 59))
    fields: dict[str, Counter] = {}
    for r in records:
        received, end, refused = _ts(r["NgayTiepNhan"]), _ts(r["NgayKetThucXuLy"]), _ts(r["NgayTuChoi"])
        due = _ts(r["NgayHenTra"]).date()
        c = fields.setdefault(r["TenLinhVuc"], Counter())
        if first <= received <= after:
            c["online" if r["KenhThucHien"] == 2 else "direct"] += 1
        elif received < first and (end is None or end >= first) and (refused is None or refused >= first):
            c["carried"] += 1
        if end is not None and refused is None and first <= end <= after:
            c["early" if end.date() < due else "on_time" if end.date() == due else "late"] += 1
        if received <= after and (end is None or end > after) and (refused is None or refused > after):
            c["pending_in" if due >= last_day else "pending_late"] += 1
    rows = []
    for i, name in enumerate(sorted(fields), start=1):
        c = fields[name]
        rows.append([str(i), name, c["online"] + c["direct"] + c["carried"], c["online"], c["direct"], c["carried"],
                     c["early"] + c["on_time"] + c["late"], c["early"], c["on_time"], c["late"],
                     c["pending_in"] + c["pending_late"], c["pending_in"], c["pending_late"]])
    return rows


def bieu06_total(rows: list[list]) -> list:
    return [None, "Tổng số", *[sum(r[i] for r in rows) for i in range(2, 13)]]


def write_bieu06(path: Path, rows: list[list], total: list, period: str) -> Path:
    """The Biểu số 06/VPCP/KSTT workbook (layout of source-formats.md §4.2): header block, title, the period
    `(Từ ngày … đến ngày …)`, unit line, a three-row grouped header, ruler, the fields, `Tổng số`, footer."""
    year, month = int(period[:4]), int(period[5:7])
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))
    sheet = [["UBND PHƯỜNG CHU VĂN AN", None, None, None, None, None, None, "Biểu số 06/VPCP/KSTT"], [],
             ["TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC"],
             [f"(Từ ngày 01/{month:02d}/{year} đến ngày {last.day:02d}/{month:02d}/{year})"],
             [None] * 10 + ["Đơn vị tính: Số hồ sơ TTHC"], BIEU06_TOP, BIEU06_MID, BIEU06_LOW,
             [str(i) for i in range(1, 14)], *rows, total, [], ["Người lập biểu", None, None, None, None, None,
                                                                 "Thủ trưởng đơn vị"]]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = BIEU06_SHEET
    for r, row in enumerate(sheet, 1):
        for c, value in enumerate(row, 1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for rng in BIEU06_MERGES:
        ws.merge_cells(rng)
    wb.save(path)
    return path


def bieu06_figures(rows: list[list]) -> dict[str, tuple[float, float]]:
    """{indicator: (numerator, denominator)} from the fields' rows (not from any total row): online /
    (online + in person or post), (early + on time) / finished."""
    online, direct = sum(r[3] for r in rows), sum(r[4] for r in rows)
    in_time, finished = sum(r[7] + r[8] for r in rows), sum(r[6] for r in rows)
    return {"DOSSIER_ONLINE": (float(online), float(online + direct)),
            "DOSSIER_ON_TIME": (float(in_time), float(finished))}


# ----------------------------------------------------------------------- a one-stop API that misbehaves
FILTERS = {"tiep_nhan": "NgayTiepNhan", "ket_thuc": "NgayKetThucXuLy"}
BOMB_CHUNK = 1 << 20            # 1 MiB of spaces, deflated alone (full flush) to about 1 KiB
BOMB_CHUNKS = 1024              # 1 MiB of gzip inflating to 1 GiB (deflate cannot inflate more than ~1,030x)


def gzip_bomb(prefix: bytes, suffix: bytes, chunks: int = BOMB_CHUNKS) -> bytes:
    """One gzip member: `prefix`, `chunks` MiB of spaces, `suffix` (JSON allows the whitespace). Each MiB is
    deflated once after a full flush, so the same ~1 KiB block repeats; the trailer's CRC is computed."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(b" " * BOMB_CHUNK) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.compress(suffix) + c.flush()
    crc = zlib.crc32(prefix)
    spaces = b" " * BOMB_CHUNK
    for _ in range(chunks):
        crc = zlib.crc32(spaces, crc)
    crc = zlib.crc32(suffix, crc)
    size = len(prefix) + chunks * BOMB_CHUNK + len(suffix)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + head + block * chunks + tail
            + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))


class MisbehavingApi:
    """`GET /api/v1/ho-so` of the contract (docs/contracts.md, public_service) on loopback, over the raw
    dossiers, with one misbehaviour:

    - ``honest``: pages as the contract says (a control for this server);
    - ``shrinking_total``: the `loc_theo=tiep_nhan` query reports its true `tong_so` on page 1 and half of it
      on every later page, at every pull (so paging by the total stops early: a partial month);
    - ``repeated_page``: the page number is ignored, every page is page 1 (echoing the page asked for);
    - ``gzip_bomb``: page 1 of `loc_theo=tiep_nhan` is a valid answer followed by 1 GiB of whitespace,
      sent gzip-compressed (about 1 MiB on the wire).

    `requests` counts (loc_theo, trang) of every authorised request.
    """

    def __init__(self, records: list[dict], token: str, mode: str = "honest"):
        self.records, self.token, self.mode = records, token, mode
        self.requests: Counter = Counter()
        self.bomb_sent = 0
        self._bomb: bytes | None = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    for i in range(0, len(body), 1 << 16):
                        self.wfile.write(body[i:i + (1 << 16)])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading (a cap): fine

            def do_GET(self):  # noqa: N802 - stdlib name
                url = urlsplit(self.path)
                if url.path.rstrip("/") != "/api/v1/ho-so":
                    return self._answer(404, b'{"loi": {"ma": "khong_tim_thay", "thong_bao": "404"}}')
                if self.headers.get("Authorization", "") != f"Bearer {api.token}":
                    return self._answer(401, b'{"loi": {"ma": "khong_xac_thuc", "thong_bao": "401"}}',
                                        {"WWW-Authenticate": 'Bearer realm="ho-so"'})
                q = {k: v[-1] for k, v in parse_qs(url.query).items()}
                by = q.get("loc_theo", "tiep_nhan")
                page, size = int(q.get("trang", "1")), int(q.get("so_ban_ghi", "500"))
                api.requests[(by, page)] += 1
                start = dt.datetime.strptime(q["tu_ngay"], "%d/%m/%Y").date()
                end = dt.datetime.strptime(q["den_ngay"], "%d/%m/%Y").date()
                selected = api.select(q["ma_don_vi"], start, end, by)
                total = len(selected)
                served = 1 if api.mode == "repeated_page" else page
                chunk = selected[(served - 1) * size: served * size]
                if api.mode == "shrinking_total" and by == "tiep_nhan" and page > 1:
                    total //= 2
                body = {"tong_so": total, "trang": page, "so_ban_ghi": size, "du_lieu": chunk}
                if api.mode == "gzip_bomb" and by == "tiep_nhan" and page == 1:
                    text = json.dumps(body, ensure_ascii=False).encode("utf-8")
                    api.bomb_sent += 1
                    return self._answer(200, api.bomb(text[:-1], text[-1:]), {"Content-Encoding": "gzip"})
                return self._answer(200, json.dumps(body, ensure_ascii=False).encode("utf-8"))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        host, port = self.server.server_address[:2]
        self.base_url = f"http://{host}:{port}"

    def bomb(self, prefix: bytes, suffix: bytes) -> bytes:
        if self._bomb is None:
            self._bomb = gzip_bomb(prefix, suffix)
        return self._bomb

    def select(self, unit: str, start: dt.date, end: dt.date, by: str) -> list[dict]:
        """The unit's records whose `by` date (its date part) is in start..end, by that date then MaHoSo."""
        field = FILTERS[by]
        out = []
        for r in self.records:
            if r["MaHoSo"].split("-")[0].split(".")[-1] != unit or not r.get(field):
                continue
            day = _ts(r[field]).date()
            if start <= day <= end:
                out.append((day, r["MaHoSo"], r))
        return [r for _d, _c, r in sorted(out, key=lambda t: (t[0], t[1]))]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ------------------------------------------------------------------------------------------ messages
def names_place(message: str, file: str, sheet: str | None = None, row: int | None = None,
                column: str | None = None) -> None:
    """The message names the file and, when given, the sheet, row and column (as test_bad_inputs.py asks)."""
    assert f"file {file}" in message, message
    if sheet is not None:
        assert f"sheet '{sheet}'" in message, message
    if row is not None:
        assert f"row {row}," in message or f"row {row}:" in message, message
    if column is not None:
        assert column in message, message


def number_forms(n: int) -> list[str]:
    """How a count may be written in a message: 2161, 2,161, 2.161, 2 161."""
    plain = str(n)
    grouped = f"{n:,}"
    return [plain, grouped, grouped.replace(",", "."), grouped.replace(",", " "), grouped.replace(",", "\u00a0")]


def mentions_number(message: str, n: int) -> bool:
    return any(form in message for form in number_forms(n))


def csv_dossier_count(path: Path) -> int:
    text = path.read_bytes().decode("utf-8-sig")
    return len(list(csv.reader(io.StringIO(text, newline="")))) - 1
