"""Public service: one-stop dossiers (hồ sơ TTHC) from the provincial system's HTTP API or its exports.

Owner: the province's one-stop system (in the demo and tests: `standin.public_service`). Secret: the
API token (`THIDUA_PUBLIC_SERVICE_TOKEN`, passed in by flows/settings.py; sent only as a Bearer header).
API contract: ../shared/reference/source-formats.md, "The public-service API the connector talks to".

A month's pull makes two queries, dossiers received in the month (`loc_theo=tiep_nhan`) and dossiers
whose processing finished in the month (`loc_theo=ket_thuc`), pages each to its end, and keeps one row
per `MaHoSo`: the newest state (latest of its timestamps; on a tie the later answer). An empty month is
valid. The fingerprint is a SHA-256 over the request parameters (no token) and the canonicalised records,
so the same data always gives the same fingerprint.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import requests

from connectors.errors import BadInputError, SchemaDriftError
from connectors.observations import observation, observation_frame, ratio_percent
from connectors.outline import outline_rows
from connectors.rest import JsonGetter
from connectors.textfile import decode_text, sniff_delimiter
from connectors.vn import (
    normalize_text,
    normalize_text_array,
    parse_bool,
    parse_bool_array,
    parse_datetime,
    parse_datetime_array,
    parse_number,
    parse_number_array,
    period_bounds,
)

SOURCE = "public_service"
ENDPOINT = "/api/v1/ho-so"
ONLINE_CHANNEL = 2  # KenhThucHien: 1 trực tiếp, 2 trực tuyến, 3 bưu chính công ích

RECORD_COLUMNS = [
    "ma_ho_so", "ma_tthc", "ten_tthc", "ma_linh_vuc", "muc_do", "kenh_thuc_hien", "ngay_tiep_nhan",
    "ngay_hen_tra", "ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_tu_choi", "trang_thai_ho_so",
    "duoc_thanh_toan_truc_tuyen", "tong_phi_le_phi", "source_file", "sheet", "row_number",
]
_TIMESTAMPS = {"ngay_tiep_nhan": "NgayTiepNhan", "ngay_hen_tra": "NgayHenTra",
               "ngay_ket_thuc_xu_ly": "NgayKetThucXuLy", "ngay_tra": "NgayTra", "ngay_tu_choi": "NgayTuChoi"}
_TEXTS = {"ma_ho_so": "MaHoSo", "ma_tthc": "MaTTHC", "ten_tthc": "TenTTHC", "ma_linh_vuc": "MaLinhVuc",
          "trang_thai_ho_so": "TrangThaiHoSo"}
_INTS = {"muc_do": "MucDo", "kenh_thuc_hien": "KenhThucHien"}
REQUIRED_FIELDS = ("MaHoSo", "KenhThucHien", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTuChoi",
                   "DuocThanhToanTrucTuyen")

Fail = Callable[[str, object, str], Exception]


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = normalize_text(value)
    if text.startswith("'"):  # Excel-safe IDs are written '0123…
        text = text[1:]
    return text or None


def _canonical(rec: dict, fail: Fail) -> dict:
    """One dossier in canonical names and types; `fail(field, found, expected)` builds the error to raise."""
    if not isinstance(rec, dict):
        raise fail("(record)", type(rec).__name__, "a JSON object per dossier")
    missing = [f for f in REQUIRED_FIELDS if f not in rec]
    if missing and not ("DanhSachLePhi" in rec or "TongPhiLePhi" in rec):
        missing.append("DanhSachLePhi")
    if missing:
        raise fail(missing[0], sorted(rec), f"the field '{missing[0]}'")
    out: dict = {}
    for name, field in _TEXTS.items():
        out[name] = _text(rec.get(field))
    if not out["ma_ho_so"]:
        raise fail("MaHoSo", rec.get("MaHoSo"), "a dossier code")
    for name, field in _INTS.items():
        value = rec.get(field)
        try:
            number = parse_number(value) if value is not None else None
        except ValueError:
            number = math.nan
        if number is not None and (math.isnan(number) or not float(number).is_integer()):
            raise fail(field, value, "a whole number code")
        out[name] = None if number is None else int(number)
    for name, field in _TIMESTAMPS.items():
        value = rec.get(field)
        try:
            out[name] = parse_datetime(value)
        except ValueError:
            raise fail(field, value, "a timestamp dd/MM/yyyy HH:mm:ss") from None
    try:
        out["duoc_thanh_toan_truc_tuyen"] = parse_bool(rec.get("DuocThanhToanTrucTuyen"))
    except ValueError:
        raise fail("DuocThanhToanTrucTuyen", rec.get("DuocThanhToanTrucTuyen"), "true or false") from None
    if "DanhSachLePhi" in rec:
        fees = rec.get("DanhSachLePhi") or []
        if not isinstance(fees, list):
            raise fail("DanhSachLePhi", type(fees).__name__, "a list of fees")
        total = 0.0
        for fee in fees:
            try:
                gia = parse_number(fee.get("Gia") if isinstance(fee, dict) else None)
            except ValueError:
                raise fail("DanhSachLePhi.Gia", fee.get("Gia"), "a number") from None
            total += gia or 0.0
        out["tong_phi_le_phi"] = total
    else:
        try:
            total = parse_number(rec.get("TongPhiLePhi"))
        except ValueError:
            raise fail("TongPhiLePhi", rec.get("TongPhiLePhi"), "a number") from None
        out["tong_phi_le_phi"] = 0.0 if total is None else total
    return out


def _state_time(rec: dict) -> datetime:
    stamps = [rec[c] for c in ("ngay_tiep_nhan", "ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_tu_choi") if rec.get(c)]
    return max(stamps) if stamps else datetime.min


def newest_states(items: Iterable[tuple[dict, dict]]) -> list[tuple[dict, dict]]:
    """One (canonical, raw) pair per dossier code: the newest state; on a tie, the one that came later."""
    best: dict[str, tuple[datetime, int, tuple[dict, dict]]] = {}
    for order, (canon, raw) in enumerate(items):
        key = canon["ma_ho_so"]
        rank = (_state_time(canon), order)
        if key not in best or rank >= best[key][:2]:
            best[key] = (*rank, (canon, raw))
    return [entry[2] for entry in sorted(best.values(), key=lambda e: e[2][0]["ma_ho_so"])]


def _frame(items: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(items, columns=RECORD_COLUMNS)
    for col in _TIMESTAMPS:
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    for col in _INTS:
        frame[col] = frame[col].astype("Int64")
    frame["duoc_thanh_toan_truc_tuyen"] = frame["duoc_thanh_toan_truc_tuyen"].astype("boolean")
    frame["tong_phi_le_phi"] = frame["tong_phi_le_phi"].astype("float64")
    frame["row_number"] = frame["row_number"].astype("Int64")
    for col in (*_TEXTS, "source_file", "sheet"):
        frame[col] = frame[col].astype("object")
    return frame


def canonical_json(records: Iterable[dict]) -> str:
    """Records as canonical JSON text: keys sorted, compact, sorted by MaHoSo (the fingerprint's input)."""
    ordered = sorted(records, key=lambda r: str(r.get("MaHoSo")))
    return json.dumps(ordered, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


class PublicServiceClient:
    """Client of the one-stop dossier API (`GET {base_url}/api/v1/ho-so`, Bearer token).

    Args:
        base_url: e.g. `http://127.0.0.1:8765`.
        token: the API token; sent as `Authorization: Bearer …`, never shown in messages or lineage.
        timeout: seconds (or (connect, read)) for every call.
        page_size: `so_ban_ghi` asked per page (the server may answer with a smaller page size).
        max_attempts, backoff_seconds, max_wait_seconds, session, sleep: see `connectors.rest.JsonGetter`.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float | tuple[float, float] = (5.0, 30.0),
                 page_size: int = 500, max_attempts: int = 4, backoff_seconds: float = 1.0,
                 max_wait_seconds: float = 60.0, max_pages: int = 10_000,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep):
        self.page_size = int(page_size)
        self.max_pages = max_pages
        self._http = JsonGetter(base_url, headers={"Authorization": f"Bearer {token}",
                                                   "Accept": "application/json"},
                                timeout=timeout, max_attempts=max_attempts, backoff_seconds=backoff_seconds,
                                max_wait_seconds=max_wait_seconds, session=session, sleep=sleep)

    def __repr__(self) -> str:  # never the token
        return f"PublicServiceClient({self._http.base_url!r})"

    @staticmethod
    def month_params(unit_code: str, period: str) -> dict[str, str]:
        """The month's filter: `ma_don_vi`, `tu_ngay`, `den_ngay` (dd/MM/yyyy)."""
        first, last = period_bounds(period)
        return {"ma_don_vi": str(unit_code), "tu_ngay": first.strftime("%d/%m/%Y"),
                "den_ngay": last.strftime("%d/%m/%Y")}

    def fetch_pages(self, params: dict[str, str]) -> Iterable[tuple[dict, str, int]]:
        """Every record of one query, paging to the end: (raw record, lineage source, 1-based position).

        Stops at an empty page, or once the pages seen cover `tong_so` (re-read from every page, since
        records may be added while paging); a short page before the last does not end the query.
        """
        page = 1
        while page <= self.max_pages:
            query = {**params, "trang": page, "so_ban_ghi": self.page_size}
            where = self._http.describe(ENDPOINT, query)
            body = self._http.get_json(ENDPOINT, query)
            if not isinstance(body, dict) or not isinstance(body.get("du_lieu"), list):
                keys = sorted(body)[:8] if isinstance(body, dict) else []
                raise SchemaDriftError(f"{where}: expected a JSON object with a 'du_lieu' list, found "
                                       f"{type(body).__name__} with keys {keys}")
            rows = body["du_lieu"]
            for position, rec in enumerate(rows, start=1):
                yield rec, where, position
            try:
                total = int(body.get("tong_so", 0) or 0)
                size = int(body.get("so_ban_ghi") or self.page_size)
            except (TypeError, ValueError):
                raise SchemaDriftError(f"{where}: 'tong_so' / 'so_ban_ghi' are not numbers") from None
            if not rows or page * max(size, 1) >= total:
                return
            page += 1
        raise SchemaDriftError(f"{self._http.describe(ENDPOINT, params)}: more than {self.max_pages} pages")

    def fetch_month(self, unit_code: str, period: str) -> tuple[pd.DataFrame, str]:
        """The dossiers received or finished in `period` for `unit_code`, newest state each, + fingerprint.

        Returns:
            (records with RECORD_COLUMNS, sha256 hex fingerprint).

        Raises:
            RetriableSourceError: 429/5xx/timeouts still failing after the client's own retries.
            FatalSourceError: 401/403/404 and other 4xx.
            SchemaDriftError: the answer lacks the fields the contract promises.
        """
        base = self.month_params(unit_code, period)
        items: list[tuple[dict, dict]] = []
        for loc in ("tiep_nhan", "ket_thuc"):
            for raw, where, position in self.fetch_pages({**base, "loc_theo": loc}):
                def fail(field, found, expected, where=where, position=position):
                    return SchemaDriftError(f"{where}, record {position}, field '{field}': found "
                                            f"{json.dumps(found, ensure_ascii=False, default=str)[:200]}, "
                                            f"expected {expected}")
                canon = _canonical(raw, fail)
                canon.update(source_file=where, sheet=None, row_number=position)
                items.append((canon, raw))
        kept = newest_states(items)
        records = _frame([c for c, _ in kept])
        records.attrs["source_description"] = self._http.describe(ENDPOINT, base)
        payload = {"endpoint": ENDPOINT, "params": base, "queries": ["loc_theo=tiep_nhan", "loc_theo=ket_thuc"],
                   "records": json.loads(canonical_json(r for _, r in kept))}
        fingerprint = hashlib.sha256(
            json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        ).hexdigest()
        return records, fingerprint


# A line of nothing but blanks: the csv module reads it as a row (which then fails for want of a dossier
# code), pandas skips it. Files with such a line are read with the csv module so both readers agree.
_BLANK_LINE = re.compile(r"(?:^|[\r\n])[^\S\r\n]+(?=[\r\n]|$)")
# quick searches first (a literal first character is fast to scan for); the full one is slow on 100 MB
_BLANK_STARTS = (re.compile(r"\n[^\S\r\n]"), re.compile(r"\r[^\S\r\n]"))


def _has_blank_line(text: str) -> bool:
    starts_blank = text[:1].isspace() and text[:1] not in "\r\n"
    return ((starts_blank or any(p.search(text) is not None for p in _BLANK_STARTS))
            and _BLANK_LINE.search(text) is not None)


def _text_array(values: np.ndarray, texts_only: bool) -> np.ndarray:
    """`_text` of every value: normalised, an Excel-safe leading `'` dropped, empty as None."""
    out = normalize_text_array(values, texts_only=texts_only)
    if not texts_only and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):  # JSON 12.0
        floats = np.array([type(v) is float for v in values], dtype=bool)
        out[floats] = [_text(v) or "" for v in values[floats]]
    if "\x00'" in "\x00" + "\x00".join(out):  # normalize_text_array gives texts only
        quoted = np.array([v[:1] == "'" for v in out], dtype=bool)
        out[quoted] = [v[1:] for v in out[quoted]]
    out[out == ""] = None
    return out


_READ_FIELDS = {*_TEXTS.values(), *_INTS.values(), *_TIMESTAMPS.values(), *REQUIRED_FIELDS, "TongPhiLePhi",
                "DanhSachLePhi"}


_REPEATING = {"MaTTHC", "TenTTHC", "MaLinhVuc", "MucDo", "KenhThucHien", "TrangThaiHoSo", "DuocThanhToanTrucTuyen",
              "TongPhiLePhi"}
_FIRST_LINE = re.compile(r"[^\r\n]*")


def _header_line(text: str, delimiter: str) -> list[str] | None:
    """The header's cells read from the first line, or None when a quote may hold a line break."""
    first = _FIRST_LINE.match(text).group()
    if '"' in first or not first:
        return None
    return next(csv.reader([first], delimiter=delimiter), [])


def _csv_columns(text: str, data: bytes) -> tuple[list[str], dict[str, np.ndarray], int]:
    """(normalised headers, cell texts by header with None for empty cells, data rows) of a CSV export.

    pandas' C parser reads the columns the reader uses; a file it may read differently from the csv
    module (ragged rows, a line of blanks, a quoted header) is read by the csv module, so the rows are
    always the ones `csv.DictReader` gives.
    """
    newline = text.find("\n")
    delimiter = sniff_delimiter(text if newline < 0 else text[:newline + 1])  # it reads the first line only
    header = _header_line(text, delimiter)
    cells: list[np.ndarray] | None = None
    if header is not None and not _has_blank_line(text):
        names = {normalize_text(h): i for i, h in enumerate(header)}  # a repeated name: its last column
        used = sorted(i for name, i in names.items() if name in _READ_FIELDS) or [0]
        # UTF-8 goes to the parser as bytes (no re-encoding of a 100 MB text); anything else as text
        bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
        utf8 = data.startswith(bom + text[:64].encode("utf-8"))
        source = io.BytesIO(memoryview(data)[len(bom):]) if utf8 else io.StringIO(text, newline="")
        try:
            # codes, names, levels, flags and fees repeat: read as categories, the parser makes one
            # Python string per distinct value instead of one per cell
            kinds = {i: "category" if header[i] and normalize_text(header[i]) in _REPEATING else object
                     for i in used}
            table = pd.read_csv(source, sep=delimiter, header=None, dtype=kinds, encoding="utf-8",
                                usecols=used, keep_default_na=False, na_filter=False, skip_blank_lines=True,
                                engine="c", index_col=False, quoting=csv.QUOTE_MINIMAL)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
            table = None
        if table is not None and len(table.columns) == len(used):
            cells = [np.full(len(table), "", dtype=object) for _ in header]
            for i, c in zip(used, table.columns, strict=True):
                cells[i] = table[c].to_numpy(dtype=object)
    if cells is None:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        header = rows[0] if rows else []
        lines = [header, *(r for r in rows[1:] if r)]  # DictReader: the first row is the header, even []
        cells = [np.array([r[i] if i < len(r) else "" for r in lines], dtype=object) for i in range(len(header))]
    headers = [normalize_text(h) for h in header]
    count = len(cells[0]) - 1 if cells else 0
    columns: dict[str, np.ndarray] = {}
    for name, column in zip(headers, cells, strict=True):
        if name:  # DictReader: a repeated header keeps its last column's value
            values = column[1:].copy()
            values[values == ""] = None
            columns[name] = values
    return headers, columns, count


def _json_columns(rows: list) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """(values by field, not-a-record mask, fee totals, fee-error mask) of a JSON export's records.

    Records that are not objects or lack a required field are only marked: `_canonical` on that record
    gives the error. Fees come from `DanhSachLePhi` (a list, summed) or `TongPhiLePhi`.
    """
    n = len(rows)
    structural = np.zeros(n, dtype=bool)
    fee = np.zeros(n)
    fee_bad = np.zeros(n, dtype=bool)
    fields = (*_TEXTS.values(), *_INTS.values(), *_TIMESTAMPS.values(), "DuocThanhToanTrucTuyen",
              "TongPhiLePhi")
    columns = {f: np.empty(n, dtype=object) for f in fields}
    for i, rec in enumerate(rows):
        if not isinstance(rec, dict) or any(f not in rec for f in REQUIRED_FIELDS) or not (
                "DanhSachLePhi" in rec or "TongPhiLePhi" in rec):
            structural[i] = True
            continue
        for f in fields:
            columns[f][i] = rec.get(f)
        if "DanhSachLePhi" in rec:
            columns["TongPhiLePhi"][i] = None
            fees = rec.get("DanhSachLePhi") or []
            try:
                if not isinstance(fees, list):
                    raise ValueError(fees)
                fee[i] = sum((parse_number(f.get("Gia") if isinstance(f, dict) else None) or 0.0) for f in fees)
            except (ValueError, AttributeError):
                fee_bad[i] = True
        else:
            fee[i] = np.nan  # from TongPhiLePhi
    return columns, structural, fee, fee_bad


def _canonical_columns(columns: dict[str, np.ndarray], n: int, first_error: Callable[[int], None],
                       structural: np.ndarray | None = None, fees: tuple[np.ndarray, np.ndarray] | None = None,
                       texts_only: bool = False) -> dict[str, object]:
    """The records' canonical columns (names of RECORD_COLUMNS), column by column, as `_canonical` gives
    them record by record. Where any record is wrong, `first_error(position)` is called with the first
    such record, and must raise (it runs `_canonical` on it, so the message is the per-record one).
    `texts_only`: every value is a str or None (a CSV's cells), which spares the helpers their type checks.
    """
    hint = {"texts_only": texts_only}
    def column(field):
        return columns.get(field, np.full(n, None, dtype=object))

    bad = np.zeros(n, dtype=bool) if structural is None else structural.copy()
    out: dict[str, object] = {name: _text_array(column(field), texts_only) for name, field in _TEXTS.items()}
    bad |= pd.isna(out["ma_ho_so"])
    for name, field in _INTS.items():
        number, wrong = parse_number_array(column(field), **hint)
        wrong |= ~np.isnan(number) & (np.floor(number) != number)
        bad |= wrong
        number[wrong] = np.nan
        out[name] = pd.array(number, dtype="Float64").astype("Int64")
    for name, field in _TIMESTAMPS.items():
        out[name], wrong = parse_datetime_array(column(field), **hint)
        bad |= wrong
    flags, wrong = parse_bool_array(column("DuocThanhToanTrucTuyen"), **hint)
    bad |= wrong
    out["duoc_thanh_toan_truc_tuyen"] = pd.array(flags, dtype="boolean")
    total, wrong = parse_number_array(column("TongPhiLePhi"), **hint)
    if fees is not None:  # JSON: a fee list where there is one
        listed = ~np.isnan(fees[0])
        total = np.where(listed, fees[0], total)
        wrong = np.where(listed, fees[1], wrong)
    bad |= wrong
    out["tong_phi_le_phi"] = np.where(np.isnan(total), 0.0, total)
    if bad.any():
        first_error(int(np.argmax(bad)))
        raise AssertionError("the column-wise and the per-record rules disagree")  # first_error raises
    return out


def _newest_states_frame(canon: dict[str, object]) -> pd.DataFrame:
    """`newest_states` over whole columns: one row per dossier code, its newest state (on a tie the later
    row), ordered by code; then typed like `_frame`."""
    stamps = np.stack([np.asarray(canon[c]) for c in ("ngay_tiep_nhan", "ngay_ket_thuc_xu_ly", "ngay_tra",
                                                      "ngay_tu_choi")]).astype("datetime64[us]")
    as_int = stamps.view(np.int64)
    state = np.where(np.isnat(stamps), np.iinfo(np.int64).min, as_int).max(axis=0)
    if _strictly_increasing(canon["ma_ho_so"]):
        keep = np.arange(len(state))  # sorted unique codes (an export in code order): nothing to choose
    else:
        codes, _ = pd.factorize(canon["ma_ho_so"], sort=True)
        order = np.lexsort((np.arange(len(codes)), state, codes))
        last = np.r_[codes[order][1:] != codes[order][:-1], True] if len(codes) else np.zeros(0, bool)
        keep = order[last]
    return _frame({name: (value[keep] if not isinstance(value, (str, type(None))) else value)
                   for name, value in canon.items()})


def read_dossier_export(path: str | Path) -> pd.DataFrame:
    """Dossiers from a file export: JSON (`{"tong_so": N, "du_lieu": [...]}` or a list) or CSV (UTF-8 BOM,
    fees flattened to `TongPhiLePhi`). Same records as `PublicServiceClient.fetch_month`.

    Read column by column (1 M dossiers in seconds) with the same results and errors as `_canonical`
    record by record: the first wrong record is found with column masks, then `_canonical` words the error.

    Raises:
        BadInputError: names the file, row (CSV line / JSON position), field, the value and what was expected.
    """
    path = Path(path)
    data = path.read_bytes()
    text = decode_text(data, file=path.name, source=SOURCE)[0].lstrip("\ufeff") if data else ""
    stripped = text.lstrip()

    def fail_at(row_number):
        def fail(field, found, expected):
            return BadInputError(file=path.name, source=SOURCE, row=row_number, column=field,
                                 found=found if isinstance(found, str) else json.dumps(found, ensure_ascii=False,
                                                                                      default=str),
                                 expected=expected)
        return fail

    structural = fees = None
    is_json = stripped.startswith(("{", "["))
    if is_json:
        try:
            body = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise BadInputError(file=path.name, source=SOURCE, row=exc.lineno, found="invalid JSON",
                                expected="a JSON export {\"tong_so\": N, \"du_lieu\": [...]}") from None
        rows = body.get("du_lieu") if isinstance(body, dict) else body
        if not isinstance(rows, list):
            raise BadInputError(file=path.name, source=SOURCE, found=sorted(body) if isinstance(body, dict) else "",
                                expected="a JSON export {\"tong_so\": N, \"du_lieu\": [...]}")
        n = len(rows)
        row_numbers = np.arange(1, n + 1)
        columns, structural, fee, fee_bad = _json_columns(rows)
        fees = (fee, fee_bad)

        def raw_at(i):
            return rows[i]
    else:
        headers, columns, n = _csv_columns(text, data)
        wanted = [f for f in REQUIRED_FIELDS if f not in headers]
        if "TongPhiLePhi" not in headers and "DanhSachLePhi" not in headers:
            wanted.append("TongPhiLePhi")
        if wanted:
            raise BadInputError(file=path.name, source=SOURCE, row=1, column=wanted[0], found=headers,
                                expected=f"a CSV header with the column '{wanted[0]}'")
        row_numbers = np.arange(2, n + 2)
        if "DanhSachLePhi" in columns:  # a fee list cannot be a CSV cell: any value there is refused
            listed = columns["DanhSachLePhi"]
            structural = np.array([v is not None for v in listed], dtype=bool)
            fees = (np.zeros(n), np.zeros(n, dtype=bool))

        def raw_at(i):
            return {h: columns[h][i] for h in columns}

    def first_error(i):
        _canonical(raw_at(i), fail_at(int(row_numbers[i])))

    canon = _canonical_columns(columns, n, first_error, structural, fees, texts_only=not is_json)
    canon.update(source_file=path.name, sheet=None, row_number=row_numbers)
    records = _newest_states_frame(canon)
    records.attrs["source_description"] = path.name
    return records


def _month_mask(series: pd.Series, period: str) -> pd.Series:
    year, month = int(period[:4]), int(period[5:7])
    return (series.dt.year == year) & (series.dt.month == month)


def _lineage_source(records: pd.DataFrame, mask: pd.Series) -> str | None:
    """The source of an aggregate: the query without paging (and without loc_theo when both contributed)."""
    # one regex per distinct source (a file export has one), not one per dossier
    sources = {re.sub(r"&(trang|so_ban_ghi)=[^&]*", "", s) for s in records.loc[mask, "source_file"].dropna().unique()}
    if len(sources) > 1:
        sources = {re.sub(r"&loc_theo=[^&]*", "", s) for s in sources}
    if len(sources) == 1:
        return sources.pop()
    return records.attrs.get("source_description") or (sorted(sources)[0] if sources else None)


def observations_from_public_service(records: pd.DataFrame, unit_code: str, period: str) -> pd.DataFrame:
    """DOSSIER_ONLINE, DOSSIER_ON_TIME, DOSSIER_FEE_ONLINE for the month (docs/contracts.md, targets.md CT08).

    - ONLINE: received in the month (NgayTiepNhan) via KenhThucHien 2 / received in the month.
    - ON_TIME: finished in the month (NgayKetThucXuLy; a dossier with NgayTuChoi is never resolved) with
      date(NgayKetThucXuLy) <= date(NgayHenTra) / finished in the month. No due date = not on time.
    - FEE_ONLINE: received in the month with a fee > 0 and DuocThanhToanTrucTuyen / received with a fee > 0.
    A month without dossiers gives 0 / 0 with no value (a ratio over nothing is not 0 %).
    Records of a Biểu 06 aggregate report (`read_bieu06_workbook`) go to `observations_from_bieu06`.
    """
    if "da_gq_tong" in records.columns:
        return observations_from_bieu06(records, unit_code, period)
    period_bounds(period)
    received = _month_mask(records["ngay_tiep_nhan"], period)
    finished = _month_mask(records["ngay_ket_thuc_xu_ly"], period) & records["ngay_tu_choi"].isna()
    online = received & (records["kenh_thuc_hien"] == ONLINE_CHANNEL).fillna(False).astype(bool)
    on_time = finished & (
        records["ngay_ket_thuc_xu_ly"].dt.normalize() <= records["ngay_hen_tra"].dt.normalize()
    ).fillna(False).astype(bool)
    fee = received & (records["tong_phi_le_phi"].fillna(0) > 0)
    paid = fee & records["duoc_thanh_toan_truc_tuyen"].fillna(False).astype(bool)

    rows = []
    for code, num_mask, den_mask, field in (
        ("DOSSIER_ONLINE", online, received, "KenhThucHien"),
        ("DOSSIER_ON_TIME", on_time, finished, "NgayKetThucXuLy"),
        ("DOSSIER_FEE_ONLINE", paid, fee, "DuocThanhToanTrucTuyen"),
    ):
        num, den = float(num_mask.sum()), float(den_mask.sum())
        rows.append(observation(code, unit_code, period, value=ratio_percent(num, den), numerator=num,
                                denominator=den, source_file=_lineage_source(records, den_mask),
                                sheet=None, row_number=None, column_name=field, raw_text=None))
    return observation_frame(rows)


# The warehouse's `dossiers` columns (without load_id) and the record column each comes from.
DOSSIER_FACT_COLUMNS = {
    "dossier_code": "ma_ho_so", "unit_code": None, "period": None, "procedure_code": "ma_tthc",
    "field_code": "ma_linh_vuc", "service_level": "muc_do", "channel": "kenh_thuc_hien",
    "received_at": "ngay_tiep_nhan", "due_at": "ngay_hen_tra", "finished_at": "ngay_ket_thuc_xu_ly",
    "returned_at": "ngay_tra", "rejected_at": "ngay_tu_choi", "status_code": "trang_thai_ho_so",
    "is_paid_online": "duoc_thanh_toan_truc_tuyen", "fee_vnd": "tong_phi_le_phi",
}


def _strictly_increasing(values: np.ndarray) -> bool:
    if len(values) < 2 or pd.isna(values).any():
        return False
    try:
        return bool((values[1:] > values[:-1]).all())
    except TypeError:  # codes of mixed types: not ordered
        return False


def dossier_facts(records: pd.DataFrame, unit_code: str, period: str) -> pd.DataFrame:
    """The month's dossiers as facts for the warehouse: one row per dossier code, codes, level, channel,
    the five timestamps, status, online payment and fee (VND). Nothing about the applicant: the records
    hold no personal data, and the procedure's name and the lineage are left out too.

    `returned_at` is NgayTra (result handed back), `rejected_at` NgayTuChoi (returned or withdrawn).
    Records of a Biểu 06 aggregate report hold no dossiers: the result is then empty.
    """
    period_bounds(period)
    if "ma_ho_so" not in records.columns:
        return pd.DataFrame({name: pd.Series(dtype="object") for name in DOSSIER_FACT_COLUMNS})
    # one row per dossier: a record set always has one per MaHoSo (newest_states); the last wins otherwise
    if _strictly_increasing(records["ma_ho_so"].to_numpy(dtype=object)):
        kept = records  # sorted by code, as the readers give them: one row per dossier already (no hashing)
    else:
        kept = records.drop_duplicates(subset="ma_ho_so", keep="last")
    facts = pd.DataFrame({name: (kept[column] if column else None) for name, column in DOSSIER_FACT_COLUMNS.items()})
    facts["unit_code"] = str(unit_code)
    facts["period"] = period
    return facts.reset_index(drop=True)


# ------------------------------------------------------------------ Biểu số 06/VPCP/KSTT (aggregate)
BIEU06_COLUMNS = ("nhan_tong", "nhan_truc_tuyen", "nhan_truc_tiep_bcci", "nhan_ky_truoc", "da_gq_tong",
                  "da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han")
_RANGE = re.compile(r"từ ngày\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*đến ngày\s*(\d{1,2})/(\d{1,2})/(\d{4})")


def _report_period(preamble: list[str]) -> tuple[str | None, str | None]:
    """(period, range text) from `(Từ ngày 01/08/2025 đến ngày 31/08/2025)`; period None unless one whole month."""
    for text in preamble:
        match = _RANGE.search(text.casefold())
        if not match:
            continue
        d1, m1, y1, d2, m2, y2 = map(int, match.groups())
        shown = f"Từ ngày {d1:02d}/{m1:02d}/{y1} đến ngày {d2:02d}/{m2:02d}/{y2}"
        period = f"{y1:04d}-{m1:02d}"
        try:
            first, last = period_bounds(period)
        except ValueError:
            return None, shown
        whole = (y1, m1, d1) == (first.year, first.month, first.day) and (y2, m2, d2) == (
            last.year, last.month, last.day)
        return (period if whole else None), shown
    return None, None


def read_bieu06_workbook(path: str | Path) -> pd.DataFrame:
    """The rows of a Biểu số 06/VPCP/KSTT workbook: `stt, linh_vuc, nhan_*, da_gq_*, dang_gq_*` (counts),
    + lineage. `records.attrs["period"]` is the month the report covers.

    Raises:
        BadInputError: the workbook does not fit the layout, or a row's parts do not add up to its total
            (nhận: tổng = trực tuyến + trực tiếp/BCCI + từ kỳ trước; đã giải quyết: tổng = trước + đúng + quá hạn).
    """
    from connectors.excel import read_workbook
    from connectors.layout import load_layout

    path = Path(path)
    table = read_workbook(path, load_layout(SOURCE))["bieu_06"]
    records = table.records
    records = records[records["linh_vuc"].notna()].reset_index(drop=True)
    labels = table.column_labels
    for rec in records.to_dict("records"):
        for total, parts in (("nhan_tong", ("nhan_truc_tuyen", "nhan_truc_tiep_bcci", "nhan_ky_truoc")),
                             ("da_gq_tong", ("da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han"))):
            values = [rec[c] for c in (total, *parts)]
            if any(pd.isna(v) for v in values):
                continue
            if values[0] != sum(values[1:]):
                raise BadInputError(
                    file=path.name, source=SOURCE, sheet=table.sheet, row=int(rec["row_number"]),
                    column=labels[total], found=(rec.get("raw_cells") or {}).get(total),
                    expected=f"the sum of its parts, {sum(values[1:]):g} (" + " + ".join(labels[c] for c in parts)
                             + ")")
    period, shown = _report_period(table.preamble)
    records.attrs.update(table.records.attrs)
    records.attrs["period"] = period or table.period
    records.attrs["period_text"] = shown
    records.attrs["record_kind"] = "bieu06"
    return records


def observations_from_bieu06(records: pd.DataFrame, unit_code: str, period: str) -> pd.DataFrame:
    """DOSSIER_ONLINE and DOSSIER_ON_TIME from a Biểu 06 report (no DOSSIER_FEE_ONLINE: it has no fee column).

    The `Tổng số` row is used; without one, the top-level rows (Roman sections when there are any, else the
    whole-number STT rows) are added up, never a parent together with its children.
    - ONLINE: trực tuyến / (trực tuyến + trực tiếp, dịch vụ bưu chính): received in the period (not `từ kỳ trước`).
    - ON_TIME: (trước hạn + đúng hạn) / đã giải quyết tổng số.

    Raises:
        BadInputError: the report covers another period than `period`, or no row can serve as the total.
    """
    from connectors.excel import column_label

    period_bounds(period)
    file = str(records["source_file"].iloc[0]) if len(records) else "?"
    sheet = records["sheet"].iloc[0] if len(records) else None
    found = records.attrs.get("period")
    if found != period:
        raise BadInputError(file=file, source=SOURCE, sheet=sheet,
                            found=records.attrs.get("period_text") or "no period line",
                            expected=f"a report 'Từ ngày … đến ngày …' covering exactly {period}")
    outline = outline_rows(list(records["stt"]), list(records["linh_vuc"]))
    totals = [i for i, row in enumerate(outline) if row.kind == "total"]
    if totals:
        rows = records.iloc[[totals[-1]]]
    else:  # the top-level rows only: a parent is never added to its children
        rows = records.iloc[[i for i, row in enumerate(outline) if row.level == 1]]
    if rows.empty:
        raise BadInputError(file=file, source=SOURCE, sheet=sheet, column=column_label(records, "linh_vuc"),
                            found=[x for x in records["linh_vuc"]][:5],
                            expected="a 'Tổng số' row or numbered rows (STT 1, 2 … or I, II …)")
    sums = {c: float(rows[c].sum(min_count=1)) for c in BIEU06_COLUMNS}
    first = rows.iloc[0]
    raw = first.get("raw_cells") or {}
    single = len(rows) == 1
    out = []
    for code, num, den, column in (
        ("DOSSIER_ONLINE", sums["nhan_truc_tuyen"], sums["nhan_truc_tuyen"] + sums["nhan_truc_tiep_bcci"],
         "nhan_truc_tuyen"),
        ("DOSSIER_ON_TIME", sums["da_gq_truoc_han"] + sums["da_gq_dung_han"], sums["da_gq_tong"],
         "da_gq_truoc_han"),
    ):
        out.append(observation(code, unit_code, period, value=ratio_percent(num, den), numerator=num,
                               denominator=den, source_file=first["source_file"], sheet=first["sheet"],
                               row_number=int(first["row_number"]) if single else None,
                               column_name=column_label(records, column),
                               raw_text=raw.get(column) if single else None))
    return observation_frame(out)


def read_public_service_export(path: str | Path) -> pd.DataFrame:
    """Any public-service file delivery: a dossier export (JSON, CSV in UTF-8/UTF-16) or a Biểu 06 workbook.

    Told apart by the bytes (a workbook or an HTML table is Biểu 06). Feed the result to
    `observations_from_public_service`, which handles both shapes.
    """
    from connectors.excel import sniff_format

    if sniff_format(path) in ("xlsx", "xls", "ods", "html"):
        return read_bieu06_workbook(path)
    return read_dossier_export(path)
