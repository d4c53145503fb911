"""Public service: one-stop dossiers (hồ sơ TTHC) from the provincial system's HTTP API or its exports.

Owner: the province's one-stop system (in the demo and tests: `standin.public_service`). Secret: the
API token (`THIDUA_PUBLIC_SERVICE_TOKEN`, passed in by flows/settings.py; sent only as a Bearer header).
API contract: ../shared/reference/source-formats.md, "The public-service API the connector talks to".

A month's pull makes two queries, dossiers received in the month (`loc_theo=tiep_nhan`) and dossiers
whose processing finished in the month (`loc_theo=ket_thuc`), pages each to its end, and keeps one row
per `MaHoSo`: the newest state (latest of its timestamps; on a tie the later answer). An empty month is
valid. The fingerprint is a SHA-256 over the request parameters (no token) and the canonicalised records,
so the same data always gives the same fingerprint. Every page is checked against the first (`fetch_pages`:
the same `tong_so`, no page repeated, no more pages than the total implies; a total that moves is pulled
once more, then refused), and an answer is read with a cap on its decompressed size (`connectors.rest`).

Complete, for dossiers (issue 16): a delivery keeps the ward's dossiers that its month counts, by each
dossier's own dates (targets.md §CT08), and leaves out and reports the others, another unit's (by `MaHoSo`,
else `DonViXuLy`) or another month's (`scope_dossiers`); a file mostly of those is refused. A JSON
export's `tong_so` must count its records; Biểu 06's `Tổng số` row must be the sum of its top-level rows.

File exports (CSV, JSON) are read by meaning: the layout's `dossier_fields` say which header spellings
mean which field (`NgayTiepNhan` = `ngay_tiep_nhan` = `Ngày tiếp nhận`), its `dossier_values` which
value spellings mean which code (`Trực tuyến` = 2, `Mức độ IV` = `Toàn trình` = 4, `Có` / `x` = yes);
see connectors/layouts/public_service.yaml. Unknown columns are ignored and reported as warnings, and a
refusal names every bad cell. The API keeps the contract's field names strictly and reads values with
the same vocabulary.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import hashlib
import io
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import requests

from connectors.errors import BadInputError, Problem, SchemaDriftError
from connectors.layout import load_layout
from connectors.layout import vocabulary as layout_vocabulary
from connectors.observations import column_letter_of, observation, observation_frame, ratio_percent
from connectors.outline import outline_rows
from connectors.rest import DEFAULT_MAX_BODY_BYTES, JsonGetter
from connectors.textfile import decode_text, sniff_delimiter
from connectors.vn import (
    is_missing,
    normalize_text,
    normalize_text_array,
    parse_datetime,
    parse_datetime_array,
    parse_number,
    parse_number_array,
    period_bounds,
    text_key,
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


# ------------------------------------------------------------------ fields and values by meaning (layout data)
# The vocabulary lives in connectors/layouts/public_service.yaml (`dossier_fields`, `dossier_values`): which
# header spellings mean which field, which value spellings mean which code. The exports are read by
# meaning; the API by the contract's sync names, with the same value vocabulary.

FIELD_KINDS = ("code", "text", "status", "choice", "timestamp", "yes_no", "money", "fee_list")
_VOCABULARY_KINDS = ("choice", "yes_no", "status")
# read by pandas as categories (one Python string per distinct value, not per cell)
_REPEATING_KINDS = frozenset({"text", "status", "choice", "yes_no", "money"})
#: A refusal lists at most this many bad cells per column, then counts the rest.
MAX_CELL_PROBLEMS_PER_COLUMN = 1000


def _compact_keys(text: object, abbreviations: dict, roman: dict | None = None) -> tuple[str, ...]:
    """The keys a header or a value word is compared by: `connectors.vn.text_key` (accents, case,
    punctuation, underscores and CamelCase do not count) with the shared abbreviations read and without
    them (an upper-case `MATTHC` has no word boundary to read `TTHC` at), each with its spaces dropped, so
    `ngaytiepnhan`, `NGAYTIEPNHAN`, `NgayTiepNhan`, `ngay_tiep_nhan` and `Ngày tiếp nhận` are one."""
    keys = (text_key(text, abbreviations, roman), text_key(text))
    return tuple(dict.fromkeys(k.replace(" ", "") for k in keys if k.strip()))


def header_keys(header: object) -> tuple[str, ...]:
    """The keys a header is compared by (see `_compact_keys`; abbreviations of layouts/vocabulary.yaml)."""
    return _compact_keys(header, layout_vocabulary()["abbreviations"])


def _word_keys(value: object, roman: bool = False) -> tuple[str, ...]:
    """The keys a value word is compared by: as headers (`MĐ4` = `Mức độ 4`, `truc-tuyen` = `Trực tuyến`),
    Roman numerals read only where the vocabulary says so (`Mức độ IV`; a yes/no `x` stays `x`), and, for
    a word of symbols only (`✓`), the symbols themselves."""
    shared = layout_vocabulary()
    keys = _compact_keys(value, shared["abbreviations"], shared["roman_numerals"] if roman else None)
    return keys or (normalize_text(value).casefold(),)


@dataclass(frozen=True)
class ValueVocabulary:
    """The spellings of a field's values: `codes` maps a folded spelling to its canonical value."""

    name: str
    codes: dict
    spellings: dict  # canonical value -> the spellings as the layout writes them
    label_en: str = "a value"
    label_vi: str = "giá trị"
    open: bool = False  # a word outside the vocabulary is kept as typed (status), not refused
    roman: bool = False  # Roman numerals read as numbers (`Mức độ IV`)
    formats: tuple[str, ...] = ()  # timestamp only: the formats shown in messages
    seen: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)  # value -> canonical (cache)


@dataclass(frozen=True)
class DossierField:
    """One field of a dossier: its sync name, the header spellings that mean it, how its values read."""

    name: str
    headers: tuple[str, ...]
    column: str | None = None  # the record column; None: a known column that is not read
    kind: str | None = None
    required: bool = False
    values: ValueVocabulary | None = None
    blank: object = None  # what an empty cell means
    maximum: float | None = None  # money: the largest amount accepted (VND)

    @property
    def read(self) -> bool:
        return self.column is not None


@dataclass(frozen=True)
class DossierVocabulary:
    """Every dossier field and value vocabulary of the layout, with the header lookup."""

    fields: dict[str, DossierField]
    by_header: dict[str, str]  # header key (`header_keys`) -> field name
    timestamp: ValueVocabulary

    def field_for(self, header: object) -> DossierField | None:
        """The field a header means, or None for a header no field lists."""
        for key in header_keys(header):
            if key in self.by_header:
                return self.fields[self.by_header[key]]
        return None


_SAMPLE_STAMP = datetime(2025, 8, 3, 14, 30, 45)


def _format_sample(fmt: str) -> tuple[str, datetime]:
    """A text written in `fmt` (`dd/mm/yyyy HH:mm:ss`; `mm` is the month before the time, minutes after it)
    and the timestamp it stands for."""
    match = re.fullmatch(r"([^ T]+)(?:([ T])(.+))?", fmt)
    if match is None:
        return fmt, _SAMPLE_STAMP
    date_part, sep, time_part = match.group(1), match.group(2) or "", match.group(3) or ""
    s = _SAMPLE_STAMP
    text = date_part.replace("yyyy", f"{s.year:04d}").replace("mm", f"{s.month:02d}").replace("dd", f"{s.day:02d}")
    stamp = datetime(s.year, s.month, s.day)
    if time_part:
        text += sep + time_part.replace("HH", f"{s.hour:02d}").replace("mm", f"{s.minute:02d}").replace(
            "ss", f"{s.second:02d}")
        stamp = stamp.replace(hour=s.hour, minute=s.minute if "mm" in time_part else 0,
                              second=s.second if "ss" in time_part else 0)
    return text, stamp


def parse_dossier_vocabulary(fields_raw: dict, values_raw: dict, *, where: str = "layout") -> DossierVocabulary:
    """A `DossierVocabulary` from the layout's `dossier_fields` and `dossier_values` mappings.

    Raises ValueError for a vocabulary that cannot be read unambiguously: a header spelling of two fields,
    a value spelling of two values, an unknown kind, a vocabulary that is not declared, a date format the
    reader does not read.
    """
    vocabularies: dict[str, ValueVocabulary] = {}
    timestamp = ValueVocabulary("timestamp", {}, {}, "a date", "ngày")
    for name, raw in (values_raw or {}).items():
        raw = raw or {}
        label = raw.get("label") or {}
        if name == "timestamp":
            formats = tuple(str(f) for f in raw.get("formats") or ())
            for fmt in formats:
                text, stamp = _format_sample(fmt)
                try:
                    ok = parse_datetime(text) == stamp
                except ValueError:
                    ok = False
                if not ok:
                    raise ValueError(f"{where}: dossier_values.timestamp: the reader does not read the format {fmt!r}")
            timestamp = ValueVocabulary(name, {}, {}, str(label.get("en", "a date")), str(label.get("vi", "ngày")),
                                        formats=formats)
            continue
        codes: dict[str, object] = {}
        spellings: dict[object, tuple[str, ...]] = {}
        roman = bool(raw.get("roman_numerals", False))
        for canonical, words in (raw.get("codes") or {}).items():
            spellings[canonical] = tuple(str(w).lower() if isinstance(w, bool) else str(w) for w in words or ())
            for word in spellings[canonical]:
                keys = _vocabulary_keys(word, roman)
                if not any(k.strip() for k in keys):
                    raise ValueError(f"{where}: dossier_values.{name}: the spelling {word!r} is empty once folded")
                for key in keys:
                    if codes.get(key, canonical) != canonical:
                        raise ValueError(f"{where}: dossier_values.{name}: {word!r} spells both {codes[key]!r} "
                                         f"and {canonical!r}")
                    codes[key] = canonical
        vocabularies[name] = ValueVocabulary(name, codes, spellings, str(label.get("en", "a value")),
                                             str(label.get("vi", "giá trị")), open=bool(raw.get("open", False)),
                                             roman=roman)
    fields: dict[str, DossierField] = {}
    by_header: dict[str, str] = {}
    for name, raw in (fields_raw or {}).items():
        raw = raw or {}
        column, kind = raw.get("column"), raw.get("kind")
        if column is not None and kind not in FIELD_KINDS:
            raise ValueError(f"{where}: dossier_fields.{name}: kind {kind!r} is not one of {', '.join(FIELD_KINDS)}")
        values = None
        if kind in _VOCABULARY_KINDS:
            if raw.get("values") not in vocabularies:
                raise ValueError(f"{where}: dossier_fields.{name}: values {raw.get('values')!r} is not declared "
                                 f"in dossier_values")
            values = vocabularies[raw["values"]]
        headers = tuple(dict.fromkeys([name, *(str(h) for h in raw.get("headers") or ())]))
        for header in headers:
            keys = header_keys(header)
            if not keys:
                raise ValueError(f"{where}: dossier_fields.{name}: the header {header!r} is empty once folded")
            for key in keys:
                if by_header.get(key, name) != name:
                    raise ValueError(f"{where}: the header {header!r} is a spelling of both {by_header[key]} "
                                     f"and {name}")
                by_header[key] = name
        maximum = raw.get("max")
        if maximum is not None:
            try:
                maximum = float(maximum)
            except (TypeError, ValueError):
                maximum = float("nan")
            if kind not in ("money", "fee_list") or not (math.isfinite(maximum) and maximum > 0):
                raise ValueError(f"{where}: dossier_fields.{name}: max {raw.get('max')!r} must be a positive "
                                 f"amount on a money field")
        fields[name] = DossierField(name=name, headers=headers, column=column, kind=kind,
                                    required=bool(raw.get("required", False)), values=values,
                                    blank=raw.get("blank"), maximum=maximum)
    if "MaHoSo" not in fields or fields["MaHoSo"].kind != "code":
        raise ValueError(f"{where}: dossier_fields must declare MaHoSo (kind: code)")
    return DossierVocabulary(fields=fields, by_header=by_header, timestamp=timestamp)


@cache
def dossier_vocabulary() -> DossierVocabulary:
    """The dossier vocabulary of `connectors/layouts/public_service.yaml` (cached)."""
    extra = load_layout(SOURCE).extra
    return parse_dossier_vocabulary(extra.get("dossier_fields") or {}, extra.get("dossier_values") or {},
                                    where="layout public_service.yaml")


# ---- values: one scalar rule per kind (the API reads with these record by record; the exports column by
# column, once per distinct value, with the same rules)

# the timestamps a record can hold (pandas' nanosecond range, whole days)
_STAMP_RANGE = (np.datetime64("1677-09-22T00:00:00", "us"), np.datetime64("2262-04-10T23:59:59", "us"))
_STAMP_BOUNDS = (datetime(1677, 9, 22), datetime(2262, 4, 10, 23, 59, 59))


class _BadValue(ValueError):
    """A value that does not fit; `found` is what to show (the bad part, as typed)."""

    def __init__(self, found: object):
        super().__init__(found)
        self.found = found


def _vocabulary_keys(value: object, roman: bool = False) -> tuple[str, ...]:
    """The keys a value is looked up by: a whole number as its digits (`2`, `2.0`, `'2`, `2,0` are `2`),
    a fractional number as something no spelling folds to, a word as `_word_keys`."""
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = parse_number(value)
        except ValueError:
            return _word_keys(value, roman)
        if number is None:
            return ("",)
    if not math.isfinite(number):
        return (repr(number),)
    return (str(int(number)) if number.is_integer() else repr(number),)  # `4.5` has a dot: never a spelling


_UNKNOWN = object()


def _lookup(values: ValueVocabulary, value: object) -> object:
    """The canonical value a spelling means; KeyError when it means none. Remembered per (type, value):
    an API answer repeats a handful of codes thousands of times."""
    key = (type(value), value)
    canonical = values.seen.get(key)
    if canonical is None:
        canonical = _UNKNOWN
        for k in _vocabulary_keys(value, values.roman):
            if k in values.codes:
                canonical = values.codes[k]
                break
        if len(values.seen) < 10_000:
            values.seen[key] = canonical
    if canonical is _UNKNOWN:
        raise KeyError(value)
    return canonical


def _vocabulary_value(field: DossierField, value: object) -> object:
    if value is None or is_missing(value):
        return field.blank
    if isinstance(value, list | dict):
        raise _BadValue(value)
    try:
        return _lookup(field.values, value)
    except KeyError:
        raise _BadValue(value) from None


def _status_value(field: DossierField, value: object) -> str | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return str(_lookup(field.values, text))
    except KeyError:
        return text


def _amount(value: object, maximum: float | None) -> float | None:
    """An amount in VND (Vietnamese number text or a JSON number); None for blank. A NaN typed as a number,
    an infinite or an absurd amount (above `maximum`) does not fit: `_BadValue`."""
    if isinstance(value, float) and math.isnan(value):
        raise _BadValue(value)  # a JSON NaN is a value, not a blank
    try:
        number = parse_number(value)
    except ValueError:
        raise _BadValue(value) from None
    if number is not None and (not math.isfinite(number) or (maximum is not None and abs(number) > maximum)):
        raise _BadValue(value)
    return number


def _fee_total(fees: object, maximum: float | None = None) -> float:
    """The sum of a fee list's `Gia` (VND); an empty or absent list is 0. Each `Gia` and the sum must be
    finite and at most `maximum`."""
    if not fees:
        return 0.0
    if not isinstance(fees, list):
        raise _BadValue(fees)
    total = 0.0
    for fee in fees:
        if not isinstance(fee, dict):
            raise _BadValue(fee)
        total += _amount(fee.get("Gia"), maximum) or 0.0
    if maximum is not None and abs(total) > maximum:
        raise _BadValue(fees)
    return total


def convert_value(field: DossierField, value: object) -> object:
    """One value of `field` in canonical form (int code, bool, datetime, float VND, text); None for blank.

    Raises ValueError (`_BadValue`) for a value the field's rules do not accept.
    """
    kind = field.kind
    if kind in ("choice", "yes_no"):
        return _vocabulary_value(field, value)
    if kind == "status":
        return _status_value(field, value)
    if kind in ("text", "code"):
        text = _text(value)
        if kind == "code" and not text:
            raise _BadValue(value)
        return text
    if kind == "timestamp":
        try:
            stamp = parse_datetime(value)
        except ValueError:
            raise _BadValue(value) from None
        if stamp is not None and not _STAMP_BOUNDS[0] <= stamp <= _STAMP_BOUNDS[1]:
            raise _BadValue(value)  # e.g. 01/01/1500: a typo, and no pandas timestamp either
        return stamp
    if kind == "money":
        number = _amount(value, field.maximum)
        if number is None:
            return None if field.blank is None else float(field.blank)
        return number
    if kind == "fee_list":
        return _fee_total(value, field.maximum)
    raise ValueError(f"field {field.name} is not read")


@cache
def _expected(name: str) -> tuple[str, str]:
    """(English, Vietnamese) words for what `name`'s cells should hold, from the vocabulary."""
    vocab = dossier_vocabulary()
    field = vocab.fields[name]
    kind = field.kind
    if kind == "code":
        return "a dossier code", "mã hồ sơ"
    if kind in ("text", "status"):
        return "text", "chữ"
    if kind == "timestamp":
        formats = vocab.timestamp.formats or ("dd/mm/yyyy HH:mm:ss",)
        rest = ", ".join(formats[1:])
        return (f"{vocab.timestamp.label_en} {formats[0]}" + (f" (or {rest})" if rest else ""),
                f"{vocab.timestamp.label_vi} dạng {formats[0]}" + (f" (hoặc {rest})" if rest else ""))
    limit_en = limit_vi = ""
    if field.maximum is not None:
        limit_en = f", at most {field.maximum:,.0f}"
        limit_vi = f", không quá {field.maximum:,.0f}".replace(",", ".")
    if kind == "money":
        return (f"an amount in VND (a number such as 15000 or 15.000{limit_en})",
                f"số tiền bằng đồng (một số, ví dụ 15000 hoặc 15.000{limit_vi})")
    if kind == "fee_list":
        return (f'a list of fees [{{"Gia": amount in VND{limit_en}}}, …]',
                f'danh sách phí, lệ phí [{{"Gia": số tiền (đồng){limit_vi}}}, …]')
    values = field.values

    def word(canonical):
        words = [w for w in values.spellings[canonical]
                 if _vocabulary_keys(w, values.roman) != _vocabulary_keys(canonical, values.roman)]
        return words[0] if words else None

    if kind == "yes_no":
        yes = ", ".join(values.spellings.get(True, ())[:5])
        no = ", ".join(values.spellings.get(False, ())[:4])
        blank_en = "blank: not known" if field.blank is None else f"blank: {field.blank}"
        blank_vi = "để trống: chưa rõ" if field.blank is None else f"để trống: {field.blank}"
        return f"{values.label_en} ({yes} / {no}; {blank_en})", f"{values.label_vi} ({yes} / {no}; {blank_vi})"
    codes = [str(c) for c in values.spellings]
    listed_en = ", ".join(codes[:-1]) + f" or {codes[-1]}" if len(codes) > 1 else "".join(codes)
    listed_vi = ", ".join(codes[:-1]) + f" hoặc {codes[-1]}" if len(codes) > 1 else "".join(codes)
    words = ", ".join(f"{c} {word(c)}" for c in values.spellings if word(c))
    return (f"{values.label_en} {listed_en}" + (f" ({words})" if words else ""),
            f"{values.label_vi} {listed_vi}" + (f" ({words})" if words else ""))


@cache
def _api_fields() -> tuple[DossierField, ...]:
    """The fields an API record is read by, in the layout's order (fees apart)."""
    return tuple(f for f in dossier_vocabulary().fields.values() if f.read and f.kind not in ("money", "fee_list"))


def _canonical(rec: dict, fail: Fail) -> dict:
    """One dossier (an API record, by the contract's sync names) in canonical names and types, its values
    read with the layout's value vocabulary; `fail(field, found, expected)` builds the error to raise."""
    if not isinstance(rec, dict):
        raise fail("(record)", type(rec).__name__, "a JSON object per dossier")
    missing = [f for f in REQUIRED_FIELDS if f not in rec]
    if missing and not ("DanhSachLePhi" in rec or "TongPhiLePhi" in rec):
        missing.append("DanhSachLePhi")
    if missing:
        raise fail(missing[0], sorted(rec), f"the field '{missing[0]}'")
    out: dict = {}
    for spec in _api_fields():
        value = rec.get(spec.name)
        try:
            out[spec.column] = convert_value(spec, value)
        except ValueError:
            raise fail(spec.name, value, _expected(spec.name)[0]) from None
    fields = dossier_vocabulary().fields
    if "DanhSachLePhi" in rec:
        try:
            out["tong_phi_le_phi"] = _fee_total(rec.get("DanhSachLePhi"), fields["DanhSachLePhi"].maximum)
        except _BadValue as exc:
            raise fail("DanhSachLePhi", exc.found, _expected("DanhSachLePhi")[0]) from None
    else:
        try:
            out["tong_phi_le_phi"] = convert_value(fields["TongPhiLePhi"], rec.get("TongPhiLePhi"))
        except ValueError:
            raise fail("TongPhiLePhi", rec.get("TongPhiLePhi"), _expected("TongPhiLePhi")[0]) from None
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


#: Columns read only to tell which dossiers are the ward's (`scope_dossiers`), never kept in the records.
SCOPE_COLUMNS = ("don_vi_xu_ly",)


def _frame(items: list[dict] | dict, scope: bool = False) -> pd.DataFrame:
    """Records typed; with `scope`, the `SCOPE_COLUMNS` too (for `scope_dossiers`, which drops them)."""
    frame = pd.DataFrame(items, columns=[*RECORD_COLUMNS, *SCOPE_COLUMNS] if scope else RECORD_COLUMNS)
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


class _PullMoved(Exception):
    """A query's answers moved while it was paged (its `tong_so` changed, or the pages did not add up to it):
    the query is pulled once more before it is refused."""


class PublicServiceClient:
    """Client of the one-stop dossier API (`GET {base_url}/api/v1/ho-so`, Bearer token).

    Args:
        base_url: e.g. `http://127.0.0.1:8765`.
        token: the API token; sent as `Authorization: Bearer …`, never shown in messages or lineage.
        timeout: seconds (or (connect, read)) for every call.
        page_size: `so_ban_ghi` asked per page (the server may answer with a smaller page size).
        max_answer_bytes: the largest answer (one page) read, counted once decompressed (settings
            THIDUA_HTTP_MAX_ANSWER_MB); see `connectors.rest.JsonGetter`.
        max_attempts, backoff_seconds, max_wait_seconds, session, sleep: see `connectors.rest.JsonGetter`.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float | tuple[float, float] = (5.0, 30.0),
                 page_size: int = 500, max_attempts: int = 4, backoff_seconds: float = 1.0,
                 max_wait_seconds: float = 60.0, max_pages: int = 10_000,
                 max_answer_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 session: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep):
        self.page_size = int(page_size)
        self.max_pages = max_pages
        self._http = JsonGetter(base_url, headers={"Authorization": f"Bearer {token}",
                                                   "Accept": "application/json"},
                                timeout=timeout, max_attempts=max_attempts, backoff_seconds=backoff_seconds,
                                max_wait_seconds=max_wait_seconds, max_body_bytes=max_answer_bytes,
                                session=session, sleep=sleep)

    def __repr__(self) -> str:  # never the token
        return f"PublicServiceClient({self._http.base_url!r})"

    @staticmethod
    def month_params(unit_code: str, period: str) -> dict[str, str]:
        """The month's filter: `ma_don_vi`, `tu_ngay`, `den_ngay` (dd/MM/yyyy)."""
        first, last = period_bounds(period)
        return {"ma_don_vi": str(unit_code), "tu_ngay": first.strftime("%d/%m/%Y"),
                "den_ngay": last.strftime("%d/%m/%Y")}

    def fetch_pages(self, params: dict[str, str]) -> list[tuple[dict, str, int]]:
        """Every record of one query, paged to its end: (raw record, lineage source, 1-based position).

        Every page is checked against page 1 (see `_pull`). A query whose answers move while it is paged
        (`tong_so` changes, or the pages end short of it or beyond it) is pulled once more, since records
        may be added while paging; moving again, it is refused.

        Raises:
            SchemaDriftError: an answer out of contract: not `{"tong_so", "du_lieu": [...]}`, a page that
                repeats earlier pages (a server ignoring `trang`), more pages than `tong_so` implies, a total
                that moves on both pulls, an answer over the size cap (`AnswerTooLargeError`). The message
                names the page's query (`…&trang=N…`) and what was seen.
            RetriableSourceError: 429/5xx/timeouts still failing after the client's own retries.
        """
        try:
            return self._pull(params)
        except _PullMoved:
            pass
        try:
            return self._pull(params)
        except _PullMoved as exc:
            raise SchemaDriftError(f"{exc}; the same on a second pull of the query: refused, nothing loaded "
                                   f"(a partial month is never loaded)") from None

    def _pull(self, params: dict[str, str]) -> list[tuple[dict, str, int]]:
        """One pull of a query, page after page, each page checked:

        - its `tong_so` is page 1's (else `_PullMoved`);
        - it is not a page already received: every MaHoSo of a page already seen on earlier pages is a
          server that ignores `trang` (refused). One record repeated at a page's start is tolerated (records
          added while paging shift the pages by one; the newest state wins);
        - the pull ends at an empty page or once the distinct dossiers reach `tong_so`; ending short of it,
          or passing it, is `_PullMoved`; needing more pages than `tong_so` implies (one more allowed for
          short pages) is refused.
        """
        out: list[tuple[dict, str, int]] = []
        seen: set[str] = set()
        anonymous = 0  # records without a MaHoSo (refused later, with their position)
        total = implied = None
        first_where = None
        page = 1
        while True:
            query = {**params, "trang": page, "so_ban_ghi": self.page_size}
            where = self._http.describe(ENDPOINT, query)
            body = self._http.get_json(ENDPOINT, query)
            if not isinstance(body, dict) or not isinstance(body.get("du_lieu"), list):
                keys = sorted(body)[:8] if isinstance(body, dict) else []
                raise SchemaDriftError(f"{where}: expected a JSON object with a 'du_lieu' list, found "
                                       f"{type(body).__name__} with keys {keys}")
            try:
                page_total = int(body.get("tong_so", 0) or 0)
                size = int(body.get("so_ban_ghi") or self.page_size)
            except (TypeError, ValueError):
                raise SchemaDriftError(f"{where}: 'tong_so' / 'so_ban_ghi' are not numbers") from None
            if total is None:
                total, first_where = page_total, where
                implied = max(1, math.ceil(total / max(size, 1)))
            elif page_total != total:
                raise _PullMoved(f"{where}: tong_so is {page_total} on page {page} but was {total} on page 1 "
                                 f"({first_where}): the total changed during the pull")
            rows = body["du_lieu"]
            codes = [_text(rec.get("MaHoSo")) if isinstance(rec, dict) and not isinstance(
                rec.get("MaHoSo"), list | dict) else None for rec in rows]
            keys = [c for c in codes if c]
            if page > 1 and rows and len(keys) == len(rows) and all(k in seen for k in keys):
                shown = ", ".join(keys[:3]) + (" …" if len(keys) > 3 else "")
                raise SchemaDriftError(
                    f"{where}: page {page} repeats {len(rows)} dossiers already received on earlier pages "
                    f"(MaHoSo {shown}): the server seems to ignore 'trang'; refused, nothing loaded")
            out.extend((rec, where, position) for position, rec in enumerate(rows, start=1))
            seen.update(keys)
            anonymous += len(rows) - len(keys)
            distinct = len(seen) + anonymous
            if not rows:
                if distinct < total:
                    raise _PullMoved(f"{where}: page {page} is empty after {distinct} distinct dossiers of the "
                                     f"tong_so {total}: the pages ended short of the total")
                return out
            if distinct >= total:
                if distinct > total:
                    raise _PullMoved(f"{where}: {distinct} distinct dossiers by page {page}, more than the tong_so "
                                     f"{total}: the total does not count the pages' records")
                return out
            if page >= implied + 1 or page >= self.max_pages:
                raise SchemaDriftError(
                    f"{where}: {distinct} distinct dossiers after {page} pages of up to {size}, short of the "
                    f"tong_so {total}, which takes {implied} page(s): more pages than the total implies; "
                    f"refused, nothing loaded")
            page += 1

    def fetch_month(self, unit_code: str, period: str) -> tuple[pd.DataFrame, str]:
        """The dossiers received or finished in `period` for `unit_code`, newest state each, + fingerprint.

        Every page is checked (`fetch_pages`). Dossiers the server should not have sent, another unit's or
        another month's, are left out and reported (`records.attrs["reader_warnings"]`, see
        `scope_dossiers`); an answer that is mostly another unit's or month's is refused.

        Returns:
            (records with RECORD_COLUMNS, sha256 hex fingerprint).

        Raises:
            RetriableSourceError: 429/5xx/timeouts still failing after the client's own retries.
            FatalSourceError: 401/403/404 and other 4xx.
            SchemaDriftError: the answer lacks the fields the contract promises, or its pages do not hold
                together (see `fetch_pages`), or it is too large once decompressed.
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
        description = self._http.describe(ENDPOINT, base)
        records = _frame([c for c, _ in kept], scope=True)
        records.attrs["source_description"] = description
        records.attrs["reader_warnings"] = []

        def refuse(problem: Problem) -> Exception:
            return SchemaDriftError(f"{description}: {problem.note_en or problem.expected}")

        records = scope_dossiers(records, unit_code, period, file=description, refuse=refuse)
        in_scope = set(records["ma_ho_so"])
        payload = {"endpoint": ENDPOINT, "params": base, "queries": ["loc_theo=tiep_nhan", "loc_theo=ket_thuc"],
                   "records": json.loads(canonical_json(r for c, r in kept if c["ma_ho_so"] in in_scope))}
        fingerprint = hashlib.sha256(
            json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        ).hexdigest()
        return records, fingerprint


# ------------------------------------------------------------------ which dossiers are the ward's and the month's
#: A delivery whose dossiers are mostly (more than this share) another unit's or another month's is refused.
MOST_OF_THE_FILE = 0.5
#: How many dossier codes a note about left-out dossiers names (the rest are counted).
LISTED_CODES = 10


@cache
def _unit_in_code() -> re.Pattern | None:
    """The layout's `dossier_scope.unit_in_code`: the unit a dossier code's prefix names (group `unit`)."""
    pattern = (load_layout(SOURCE).extra.get("dossier_scope") or {}).get("unit_in_code")
    return re.compile(pattern) if pattern else None


def _prefix_unit(head: str) -> str | None:
    pattern = _unit_in_code()
    match = pattern.fullmatch(head) if pattern is not None else None
    return match.group("unit") if match else None


def code_units(codes: np.ndarray) -> np.ndarray:
    """The unit each dossier code names, None where it names none: the part before the code's first '-'
    read with the layout's `dossier_scope.unit_in_code` (`000.00.10549-250803-0001` names `10549`).

    Codes in order (as the readers give them) come in blocks of one prefix: each block is found with a
    binary search and read once, so a million codes of a few prefixes cost a few steps."""
    n = len(codes)
    out = np.full(n, None, dtype=object)
    if n == 0 or _unit_in_code() is None:
        return out
    start = 0
    if _strictly_increasing(codes):
        i = 0
        for _ in range(10_000):
            if i >= n:
                return out
            head, sep, _rest = str(codes[i]).partition("-")
            # every code of prefix `head-` sorts between `head-` and `head.` ('.' follows '-')
            end = max(int(np.searchsorted(codes, head + ".", side="left")), i + 1) if sep else i + 1
            if sep:
                out[i:end] = _prefix_unit(head)
            i = end
        start = i
    heads: dict[str, str | None] = {}
    for j in range(start, n):  # codes out of order, or many prefixes: one partition per code
        head, sep, _rest = str(codes[j]).partition("-")
        if sep:
            if head not in heads:
                heads[head] = _prefix_unit(head)
            out[j] = heads[head]
    return out


def dossier_units(codes: np.ndarray, offices: np.ndarray | None) -> np.ndarray:
    """Each dossier's unit: the one its code names (`code_units`); for a code that names none, the unit its
    office (DonViXuLy) is known to be from the dossiers whose code names one (an office seen with one unit
    only); else None (not told)."""
    named = code_units(codes)
    if offices is None or not len(named):
        return named
    unnamed = pd.isna(named)
    if not unnamed.any() or unnamed.all():
        return named
    office_codes, office_names = pd.factorize(np.asarray(offices, dtype=object))
    pairs = pd.DataFrame({"office": office_codes[~unnamed], "unit": named[~unnamed]})
    pairs = pairs[pairs["office"] >= 0].drop_duplicates()
    counts = pairs.groupby("office")["unit"].nunique()
    lookup = np.full(len(office_names) + 1, None, dtype=object)  # the last slot: no office (code -1)
    single = pairs[pairs["office"].isin(counts.index[counts == 1])]
    lookup[single["office"].to_numpy()] = single["unit"].to_numpy()
    out = named.copy()
    out[unnamed] = lookup[office_codes[unnamed]]
    return out


def _codes_text(codes: np.ndarray, rows: np.ndarray, vi: bool = False) -> str:
    """`A (row 5), B (row 9) … and N more`: the first codes of a group, with their rows (or positions)."""
    row, more_words = ("dòng", "và {} hồ sơ khác") if vi else ("row", "and {} more")
    shown = [f"{c} ({row} {int(r)})" if pd.notna(r) else str(c)
             for c, r in zip(codes[:LISTED_CODES], rows[:LISTED_CODES], strict=True)]
    more = len(codes) - len(shown)
    return ", ".join(shown) + (" … " + more_words.format(more) if more > 0 else "")


def _month_text(period: str) -> str:
    return f"{period[5:7]}/{period[:4]}"


def scope_dossiers(records: pd.DataFrame, unit_code: str | None, period: str | None, *, file: str,
                   refuse: Callable[[Problem], Exception]) -> pd.DataFrame:
    """The dossiers of `unit_code` that belong to `period` (targets.md §CT08); the others left out and
    reported as warnings (`records.attrs["reader_warnings"]`, one per other unit and one per other month of
    receipt, each naming how many, their codes and rows); `SCOPE_COLUMNS` dropped.

    - A dossier belongs to the month when it was received (NgayTiepNhan), finished (NgayKetThucXuLy) or
      returned / withdrawn (NgayTuChoi) in it. One with none of its dates in the month counts for nothing
      in it: it is left out (a dossier without a reception date is kept, for the expectations to name).
    - A dossier's unit is `dossier_units` (its code, else its office); one whose unit cannot be told is
      taken as the ward's.
    - `attrs["left_out"]` = {"other_units": n, "other_periods": n}.

    Raises:
        what `refuse(problem)` builds, when more than half of the file's dossiers are another unit's, or
        more than half of the ward's are another month's (the wrong file was delivered).
    """
    attrs = dict(records.attrs)
    n = len(records)
    warnings: list[Problem] = []
    keep = np.ones(n, dtype=bool)
    codes = records["ma_ho_so"].to_numpy(dtype=object)
    rows = records["row_number"].to_numpy(dtype=object)
    other_units = other_periods = 0
    if unit_code and n:
        offices = (records["don_vi_xu_ly"].to_numpy(dtype=object)
                   if "don_vi_xu_ly" in records.columns else None)
        units = dossier_units(codes, offices)
        with np.errstate(invalid="ignore"):
            other = np.asarray(pd.notna(units) & (units != str(unit_code)), dtype=bool)
        other_units = int(other.sum())
        if other_units:
            group, names = pd.factorize(units[other])
            for g, unit in enumerate(names):
                members = np.flatnonzero(other)[group == g]
                office_list = sorted({str(o) for o in pd.unique(offices[members]) if pd.notna(o) and str(o).strip()}
                                     ) if offices is not None else []
                quoted = ", ".join(f"'{o}'" for o in office_list[:3])
                office_en = f"; DonViXuLy {quoted}" if office_list else ""
                office_vi = f"; đơn vị xử lý {quoted}" if office_list else ""
                listed = _codes_text(codes[members], rows[members])
                listed_vi = _codes_text(codes[members], rows[members], vi=True)
                k = len(members)
                warnings.append(Problem(
                    file=file, source=SOURCE, severity="warning", expected="",
                    found=f"{k} dossiers of unit {unit}",
                    note_en=(f"{k} dossier(s) of unit {unit}, not of unit {unit_code}, left out of the counts "
                             f"(MaHoSo {listed}{office_en})"),
                    note_vi=(f"bỏ ra {k} hồ sơ của đơn vị {unit}, không phải của đơn vị {unit_code}, không tính "
                             f"vào số liệu (MaHoSo {listed_vi}{office_vi})")))
            if other_units > MOST_OF_THE_FILE * n:
                found = ", ".join(str(u) for u in names)
                raise refuse(Problem(
                    file=file, source=SOURCE, column="MaHoSo", found=f"{other_units} of {n} dossiers of unit {found}",
                    expected=f"the dossiers of unit {unit_code}: this is another unit's export",
                    expected_vi=f"hồ sơ của đơn vị {unit_code}: đây là tệp của đơn vị khác",
                    note_en=(f"{other_units} of the {n} dossiers are of unit {found}, not of unit {unit_code}: "
                             f"another unit's delivery is refused, nothing loaded"),
                    note_vi=(f"{other_units} trong {n} hồ sơ là của đơn vị {found}, không phải của đơn vị "
                             f"{unit_code}: tệp của đơn vị khác không được nạp")))
            keep &= ~other
    if period and n:
        first, last = period_bounds(period)
        start = pd.Timestamp(first.year, first.month, first.day)
        end = pd.Timestamp(last.year, last.month, last.day) + pd.Timedelta(days=1)

        def within(column: str) -> np.ndarray:
            stamps = records[column]
            return ((stamps >= start) & (stamps < end)).to_numpy(dtype=bool, na_value=False)

        received = records["ngay_tiep_nhan"]
        belongs = within("ngay_tiep_nhan") | within("ngay_ket_thuc_xu_ly") | within("ngay_tu_choi")
        elsewhere = keep & ~belongs & received.notna().to_numpy(dtype=bool)
        other_periods = int(elsewhere.sum())
        if other_periods:
            members_all = np.flatnonzero(elsewhere)
            months = np.datetime_as_string(received.to_numpy()[members_all].astype("datetime64[M]"), unit="M")
            for month in sorted(set(months.tolist())):
                members = members_all[months == month]
                listed = _codes_text(codes[members], rows[members])
                listed_vi = _codes_text(codes[members], rows[members], vi=True)
                k = len(members)
                warnings.append(Problem(
                    file=file, source=SOURCE, severity="warning", expected="",
                    found=f"{k} dossiers received in {_month_text(month)}",
                    note_en=(f"{k} dossier(s) received in {_month_text(month)} and neither received nor finished "
                             f"in {_month_text(period)}, left out of {_month_text(period)}'s counts (MaHoSo "
                             f"{listed})"),
                    note_vi=(f"bỏ ra {k} hồ sơ tiếp nhận tháng {_month_text(month)}, không tiếp nhận cũng không "
                             f"kết thúc xử lý trong tháng {_month_text(period)}, không tính vào số liệu tháng "
                             f"{_month_text(period)} (MaHoSo {listed_vi})")))
            own = int(keep.sum())
            if other_periods > MOST_OF_THE_FILE * own:
                counts = pd.Series(months).value_counts()
                main = _month_text(str(counts.index[0]))
                raise refuse(Problem(
                    file=file, source=SOURCE, column="NgayTiepNhan",
                    found=f"{other_periods} of {own} dossiers of other months (most received in {main})",
                    expected=f"the dossiers of {_month_text(period)}: this looks like the export of {main}",
                    expected_vi=f"hồ sơ của tháng {_month_text(period)}: tệp có vẻ là của tháng {main}",
                    note_en=(f"{other_periods} of the {own} dossiers were neither received nor finished in "
                             f"{_month_text(period)} (most were received in {main}): the export of another "
                             f"month is refused, nothing loaded"),
                    note_vi=(f"{other_periods} trong {own} hồ sơ không tiếp nhận cũng không kết thúc xử lý trong "
                             f"tháng {_month_text(period)} (phần lớn tiếp nhận tháng {main}): tệp của tháng khác "
                             f"không được nạp")))
            keep &= ~elsewhere
    out = records.drop(columns=[c for c in SCOPE_COLUMNS if c in records.columns])
    if not keep.all():
        out = out[keep].reset_index(drop=True)
    attrs["reader_warnings"] = list(attrs.get("reader_warnings") or []) + [w.to_dict() for w in warnings]
    attrs["left_out"] = {"other_units": other_units, "other_periods": other_periods}
    out.attrs = attrs
    return out


# ------------------------------------------------------------------ exports: CSV and JSON, read by meaning
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


_FIRST_LINE = re.compile(r"[^\r\n]*")


def _header_line(text: str, delimiter: str) -> list[str] | None:
    """The header's cells read from the first line, or None when a quote may hold a line break."""
    first = _FIRST_LINE.match(text).group()
    if not first or first.count('"') % 2:
        return None
    return next(csv.reader([first], delimiter=delimiter), [])


def _letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _Cells:
    """One column's cells as typed: every value, or the distinct values and each row's index into them."""

    def __init__(self, values: np.ndarray | None = None, codes: np.ndarray | None = None,
                 uniques: np.ndarray | None = None):
        self._values, self.codes, self.uniques = values, codes, uniques

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            self._values = self.uniques[self.codes]
        return self._values

    def at(self, i: int) -> object:
        return self._values[i] if self._values is not None else self.uniques[self.codes[i]]


def _csv_cells(file: str, text: str, data: bytes, wanted: Callable[[list[str]], dict[int, bool]]
               ) -> tuple[list[str], dict[int, _Cells], np.ndarray]:
    """(header as typed, the cells of the columns `wanted(header)` names, the spreadsheet row of each data row).

    `wanted` maps a column index to True when its values repeat (read as categories: the parser makes one
    Python string per distinct value). pandas' C parser reads the columns, keeping empty lines as rows as
    the csv module does; a file it may read differently (a quote holding a line break in the header, a
    parser error) is read by the csv module. Every CSV record is one spreadsheet row (the header is row 1),
    empty ones included (they are skipped later, and still counted).
    """
    newline = text.find("\n")
    delimiter = sniff_delimiter(text if newline < 0 else text[:newline + 1])  # it reads the first line only
    header = _header_line(text, delimiter)
    if header is not None:
        used = wanted(header)
        read = sorted(used) or [0]
        # UTF-8 goes to the parser as bytes (no re-encoding of a 100 MB text); anything else as text
        bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
        utf8 = data.startswith(bom + text[:64].encode("utf-8"))
        source = io.BytesIO(memoryview(data)[len(bom):]) if utf8 else io.StringIO(text, newline="")
        try:
            kinds = {i: "category" if used.get(i) else object for i in read}
            table = pd.read_csv(source, sep=delimiter, header=None, dtype=kinds, encoding="utf-8",
                                usecols=read, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                                engine="c", index_col=False, quoting=csv.QUOTE_MINIMAL)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
            table = None
        if table is not None and len(table.columns) == len(read):
            cells: dict[int, _Cells] = {}
            for i, c in zip(read, table.columns, strict=True):
                if i not in used:
                    continue
                column = table[c]
                if isinstance(column.dtype, pd.CategoricalDtype):
                    codes = column.cat.codes.to_numpy().astype(np.intp)[1:]
                    uniques = np.append(column.cat.categories.to_numpy(dtype=object), "")
                    codes[codes < 0] = len(uniques) - 1  # a missing cell (short row) reads empty
                    cells[i] = _Cells(codes=codes, uniques=uniques)
                else:
                    cells[i] = _Cells(values=column.to_numpy(dtype=object)[1:])
            return header, cells, np.arange(2, len(table) + 1)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise BadInputError(file=file, source=SOURCE, found=f"malformed CSV ({exc})",
                            expected="a CSV file with quoted fields closed",
                            expected_vi="tệp CSV có các ô trong ngoặc kép được đóng lại") from None
    header = rows[0] if rows else []
    used = wanted(header)
    body = rows[1:]
    cells = {i: _Cells(values=np.array([r[i] if i < len(r) else "" for r in body] or [], dtype=object))
             for i in used}
    return header, cells, np.arange(2, len(body) + 2)


@dataclass
class _Delivery:
    """A dossier export as read, before its values are judged: where each field is, its cells, problems."""

    file: str
    file_format: str  # csv | json
    n: int
    row_numbers: np.ndarray
    places: dict[str, tuple[str, str | None, int]]  # field -> (header as typed, letter, position)
    cells: dict[str, _Cells]
    problems: list[Problem]
    warnings: list[Problem]
    columns_used: list[dict]
    columns_ignored: list[dict]
    absent: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)  # JSON: records without the field's key
    not_records: np.ndarray | None = None  # JSON: items that are not objects (reported already)
    ids: np.ndarray | None = None  # JSON: each record's MaHoSo (for messages)
    declared_total: int | None = None  # JSON: the envelope's `tong_so`


#: How alike (difflib ratio of the folded keys) a header must be to a spelling to be named as the closest.
CLOSEST_HEADER_RATIO = 0.6


def _closest_header(field: DossierField, headers: list[str], taken: set[int]) -> tuple[int, str] | None:
    """(position, header) of the header nearest to any spelling of `field` (difflib on the folded keys),
    among the headers no field took; None when none comes close."""
    best, best_ratio = None, CLOSEST_HEADER_RATIO
    spellings = {k for s in field.headers for k in header_keys(s)}
    for i, header in enumerate(headers):
        keys = header_keys(header)
        if not keys or i in taken:
            continue
        key = keys[0]
        ratio = max(difflib.SequenceMatcher(None, key, s).ratio() for s in spellings)
        if ratio >= best_ratio and (best is None or ratio > best_ratio):
            best, best_ratio = (i, header), ratio
    return best


def _quoted(words: Iterable[str], last_en: str) -> str:
    words = [f"'{w}'" for w in words]
    return ", ".join(words[:-1]) + f" {last_en} {words[-1]}" if len(words) > 1 else "".join(words)


def _map_headers(file: str, headers: list[str], vocab: DossierVocabulary, *, is_csv: bool,
                 has_records: bool = True):
    """(places, problems, warnings, columns used, columns ignored) of a header row (CSV) or key set (JSON).

    A required field no header means is a problem, unless there is nothing to read (a JSON export of no
    records: an empty month).
    """
    problems: list[Problem] = []
    warnings: list[Problem] = []
    ignored: list[dict] = []
    claims: dict[str, list[tuple[int, str, str | None]]] = {}
    row = 1 if is_csv else None
    for i, header in enumerate(headers):
        letter = _letter(i) if is_csv else None
        found = vocab.field_for(header)
        if found is None or not found.read:
            ignored.append({"header": header, "letter": letter, "known": found is not None})
            if found is None:
                what_en, what_vi = ("column", "cột") if is_csv else ("field", "trường")
                warnings.append(Problem(
                    file=file, source=SOURCE, row=row, column=header if header.strip() else None, letter=letter,
                    found=header, severity="warning", expected="",
                    note_en=f"not used (a {what_en} the dossier layout does not name)",
                    note_vi=f"không dùng ({what_vi} không có trong danh mục trường của hồ sơ)"))
            continue
        claims.setdefault(found.name, []).append((i, header, letter))
    places: dict[str, tuple[str, str | None, int]] = {}
    used: list[dict] = []
    for name, claimed in claims.items():
        if len(claimed) > 1:
            i, header, letter = claimed[-1]
            if is_csv:
                en = " and ".join(f"column {lt} '{h}'" for _, h, lt in claimed)
                vi = " và ".join(f"cột {lt} '{h}'" for _, h, lt in claimed)
            else:
                en = " and ".join(f"the field '{h}'" for _, h, _ in claimed)
                vi = " và ".join(f"trường '{h}'" for _, h, _ in claimed)
            problems.append(Problem(
                file=file, source=SOURCE, row=row, column=header, letter=letter, found=header,
                expected=f"one column for {name}: {en} both mean it (keep one)",
                expected_vi=f"một cột cho {name}: {vi} cùng một nghĩa (giữ lại một)"))
            continue
        i, header, letter = claimed[0]
        places[name] = (header, letter, i)
        used.append({"name": vocab.fields[name].column, "header": header, "letter": letter, "position": i})
    for spec in vocab.fields.values():
        if not spec.required or spec.name in places or spec.name in claims or not has_records:
            continue
        if any(other.column == spec.column and (not is_csv or other.kind != "fee_list")
               for other in (vocab.fields[n] for n in places)):
            continue  # e.g. the fees of a JSON export as DanhSachLePhi instead of TongPhiLePhi
        examples = spec.headers[:3]
        taken = {i for claimed in claims.values() for i, _, _ in claimed}
        closest = _closest_header(spec, headers, taken)
        where_en, where_vi = "; no header comes close", "; không có tiêu đề nào gần giống"
        if closest is not None:
            position, header = closest
            where_en = f"; the closest header is '{header}'" + (f" (column {_letter(position)})" if is_csv else "")
            where_vi = f"; tiêu đề gần nhất là '{header}'" + (f" (cột {_letter(position)})" if is_csv else "")
        what_en, what_vi = ("a column", "một cột") if is_csv else ("a field", "một trường")
        problems.append(Problem(
            file=file, source=SOURCE, row=row,
            expected=f"{what_en} for {spec.name} (headed e.g. {_quoted(examples, 'or')}){where_en}",
            expected_vi=f"{what_vi} {spec.name} (tiêu đề ví dụ {_quoted(examples, 'hoặc')}){where_vi}"))
    used.sort(key=lambda u: u.pop("position"))
    return places, problems, warnings, used, ignored


def _csv_delivery(file: str, text: str, data: bytes, vocab: DossierVocabulary) -> _Delivery:
    mapped: dict = {}

    def wanted(header: list[str]) -> dict[int, bool]:
        mapped["headers"] = header
        mapped["result"] = _map_headers(file, header, vocab, is_csv=True)
        places = mapped["result"][0]
        return {pos: vocab.fields[name].kind in _REPEATING_KINDS for name, (_, _, pos) in places.items()}

    _, cells, row_numbers = _csv_cells(file, text, data, wanted)
    places, problems, warnings, used, ignored = mapped["result"]
    return _Delivery(file=file, file_format="csv", n=len(row_numbers), row_numbers=row_numbers, places=places,
                     cells={name: cells[pos] for name, (_, _, pos) in places.items()}, problems=problems,
                     warnings=warnings, columns_used=used, columns_ignored=ignored)


def _typed(value: object) -> str:
    """A JSON value as typed in the file."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:199] + "…"


def _json_delivery(file: str, text: str, vocab: DossierVocabulary) -> _Delivery:
    expected_en = "a JSON export {\"tong_so\": N, \"du_lieu\": [...]}"
    expected_vi = "tệp JSON dạng {\"tong_so\": N, \"du_lieu\": [...]}"
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(file=file, source=SOURCE, row=exc.lineno, found="invalid JSON", expected=expected_en,
                            expected_vi=expected_vi) from None
    rows = body.get("du_lieu") if isinstance(body, dict) else body
    if not isinstance(rows, list):
        raise BadInputError(file=file, source=SOURCE, found=sorted(body) if isinstance(body, dict) else "",
                            expected=expected_en, expected_vi=expected_vi)
    n = len(rows)
    is_record = np.fromiter((isinstance(r, dict) for r in rows), dtype=bool, count=n)
    key_sets: dict[tuple, int] = {}
    set_of = np.fromiter((key_sets.setdefault(tuple(r) if isinstance(r, dict) else (), len(key_sets))
                          for r in rows), dtype=np.int64, count=n)
    headers = list(dict.fromkeys(k for keys in key_sets for k in keys))
    places, problems, warnings, used, ignored = _map_headers(file, [str(h) for h in headers], vocab, is_csv=False,
                                                             has_records=bool(is_record.any()))
    row_numbers = np.arange(1, n + 1)
    cells: dict[str, _Cells] = {}
    absent: dict[str, np.ndarray] = {}
    for name, (key, _, _) in places.items():
        cells[name] = _Cells(values=np.fromiter((r.get(key) if isinstance(r, dict) else None for r in rows),
                                                dtype=object, count=n))
        lacking = [sid for keys, sid in key_sets.items() if key not in keys]
        absent[name] = np.isin(set_of, lacking) & is_record
    ids = None
    if "MaHoSo" in cells:
        ids = np.array([_text(v) if not isinstance(v, list | dict) else None for v in cells["MaHoSo"].values]
                       + [None], dtype=object)[:-1]
    declared = None
    if isinstance(body, dict) and body.get("tong_so") is not None:
        declared, problem = _declared_total(file, body["tong_so"], n)
        if problem is not None:
            problems.insert(0, problem)
    delivery = _Delivery(file=file, file_format="json", n=n, row_numbers=row_numbers, places=places, cells=cells,
                         problems=problems, warnings=warnings, columns_used=used, columns_ignored=ignored,
                         absent=absent, not_records=~is_record, ids=ids, declared_total=declared)
    for i in np.flatnonzero(~is_record):
        delivery.problems.append(Problem(file=file, source=SOURCE, row=int(row_numbers[i]), found=_typed(rows[i]),
                                         expected="a JSON object per dossier",
                                         expected_vi="một đối tượng JSON cho mỗi hồ sơ"))
    # a record without a required field's key (the other records have it): named per record
    for spec in vocab.fields.values():
        if not spec.required:
            continue
        group = [n for n in places if vocab.fields[n].column == spec.column]
        if not group:
            continue  # the whole delivery lacks it: reported with the headers
        lacking = np.logical_and.reduce([absent[n] for n in group])
        key = places[group[0]][0]
        for i in np.flatnonzero(lacking):
            delivery.problems.append(Problem(
                file=file, source=SOURCE, row=int(row_numbers[i]), column=key, detail=_record_detail(delivery, i),
                expected=f"the field '{key}' (every record has it)",
                expected_vi=f"trường '{key}' (bản ghi nào cũng phải có)"))
    return delivery


def _declared_total(file: str, value: object, n: int) -> tuple[int | None, Problem | None]:
    """A JSON export's `tong_so` against the records it lists: (the declared number, a problem or None).

    The total must be a whole number equal to the number of items in `du_lieu` (every item, whatever its
    month or unit: the total counts the file, not the month). A disagreement is a partial or padded export:
    refused, naming both numbers."""
    number = None
    if not isinstance(value, bool):
        try:
            number = float(value) if isinstance(value, int | float) else parse_number(value)
        except ValueError:
            number = None
    if number is not None and math.isfinite(number) and number.is_integer() and int(number) == n:
        return n, None
    declared = int(number) if number is not None and math.isfinite(number) and number.is_integer() else None
    if declared is None:
        return None, Problem(
            file=file, source=SOURCE, column="tong_so", found=_typed(value),
            expected=f"tong_so as the number of dossiers listed in 'du_lieu', {n}",
            expected_vi=f"tong_so là số hồ sơ có trong 'du_lieu', {n}")
    gap = n - declared
    return declared, Problem(
        file=file, source=SOURCE, column="tong_so", found=str(declared),
        expected=(f"tong_so equal to the number of dossiers listed in 'du_lieu': the file declares {declared} "
                  f"and lists {n} ({gap:+d}); a partial or padded export is refused"),
        expected_vi=(f"tong_so bằng số hồ sơ có trong 'du_lieu': tệp khai {declared} nhưng có {n} hồ sơ "
                     f"({gap:+d}); tệp thiếu hoặc thừa hồ sơ không được nạp"))


def _record_detail(delivery: _Delivery, i: int) -> str | None:
    if delivery.ids is None or delivery.ids[i] is None:
        return None
    return f"MaHoSo '{delivery.ids[i]}'"


def _per_distinct(cells: _Cells, fn: Callable[[object], object], texts_only: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fn of each distinct value, True where fn raised ValueError, each row's index into them).

    Texts are grouped by pandas; a JSON export's typed values by (type, value), so that `true`, `1` and
    `1.0` stay apart; lists and objects one by one.
    """
    if cells.codes is not None:
        codes, uniques = cells.codes, cells.uniques
    elif texts_only:
        codes, found = pd.factorize(cells.values, use_na_sentinel=False)
        uniques = np.asarray(found, dtype=object)
        uniques[pd.isna(uniques)] = None  # pandas may give None back as NaN
    else:
        index: dict = {}
        seen: list = []
        codes = np.empty(len(cells.values), dtype=np.intp)
        for i, value in enumerate(cells.values):
            try:
                key = (type(value), value)
                k = index.get(key)
            except TypeError:  # a list or an object: unhashable
                key, k = None, None
            if k is None:
                k = len(seen)
                seen.append(value)
                if key is not None:
                    index[key] = k
            codes[i] = k
        uniques = np.empty(len(seen), dtype=object)
        for j, value in enumerate(seen):  # one by one: numpy would read a list as a row
            uniques[j] = value
    results = np.empty(len(uniques), dtype=object)
    bad = np.zeros(len(uniques), dtype=bool)
    for j, value in enumerate(uniques):
        try:
            results[j] = fn(value)
        except ValueError:
            bad[j] = True
    return results, bad, codes


def _convert_column(spec: DossierField, cells: _Cells, n: int, texts_only: bool
                    ) -> tuple[object, np.ndarray, dict[int, object] | None]:
    """(canonical values of every row, True where a cell does not fit, what to show for a bad cell when it
    is not the cell itself), column by column: once per distinct value, or vectorised (dates, amounts)."""
    kind = spec.kind
    if kind in ("code", "text"):
        if cells.codes is not None:
            texts = _text_array(cells.uniques, True)[cells.codes]
        else:
            texts = _text_array(cells.values, texts_only)
        bad = pd.isna(texts) if kind == "code" else np.zeros(n, dtype=bool)
        return texts, np.asarray(bad, dtype=bool), None
    if kind in ("choice", "yes_no", "status"):
        rule = _status_value if kind == "status" else _vocabulary_value
        results, bad, codes = _per_distinct(cells, lambda v: rule(spec, v), texts_only)
        if kind == "status":
            return results[codes], bad[codes], None
        numbers = np.array([np.nan if r is None or b else float(r) for r, b in zip(results, bad, strict=True)],
                           dtype=np.float64)[codes] if len(results) else np.full(n, np.nan)
        if kind == "choice":
            return pd.array(numbers, dtype="Float64").astype("Int64"), bad[codes], None
        return pd.arrays.BooleanArray(numbers == 1.0, np.isnan(numbers)), bad[codes], None
    if kind == "timestamp":
        values = cells.values
        if texts_only:
            values = values.copy()
            values[values == ""] = None
        stamps, bad = parse_datetime_array(values, texts_only=texts_only)
        outside = ~np.isnat(stamps) & ((stamps < _STAMP_RANGE[0]) | (stamps > _STAMP_RANGE[1]))
        if outside.any():
            stamps[outside] = np.datetime64("NaT")
            bad |= outside
        return stamps, bad, None
    if kind == "money":
        if cells.codes is not None:
            numbers, bad = parse_number_array(cells.uniques, texts_only=True)
            numbers, bad = numbers[cells.codes], bad[cells.codes]
        else:
            numbers, bad = parse_number_array(cells.values, texts_only=texts_only)
            if not texts_only:  # a NaN typed as a JSON number is a value, not a blank (None != None is False)
                with np.errstate(invalid="ignore"):
                    bad = bad | np.asarray(cells.values != cells.values, dtype=bool)
        with np.errstate(invalid="ignore"):
            absurd = np.isinf(numbers) | (np.abs(numbers) > (spec.maximum if spec.maximum is not None else np.inf))
        bad = bad | absurd
        blank = np.nan if spec.blank is None else float(spec.blank)
        return np.where(np.isnan(numbers) & ~bad, blank, numbers), bad, None
    if kind == "fee_list":
        totals = np.zeros(n)
        bad = np.zeros(n, dtype=bool)
        found: dict[int, object] = {}
        for i, value in enumerate(cells.values):
            if texts_only:  # a fee list cannot be a CSV cell: anything there is refused
                if value is not None and str(value).strip():
                    bad[i], found[i] = True, value
                continue
            try:
                totals[i] = _fee_total(value, spec.maximum)
            except _BadValue as exc:
                bad[i], found[i] = True, _typed(exc.found)
        return totals, bad, found
    raise ValueError(f"field {spec.name} is not read")


def _cell_problems(delivery: _Delivery, name: str, bad: np.ndarray, found: dict[int, object] | None
                   ) -> list[tuple[tuple[int, int], Problem]]:
    """One problem per bad cell of one column (capped, with one more counting the rest), with sort keys."""
    header, letter, position = delivery.places[name]
    expected_en, expected_vi = _expected(name)
    if delivery.file_format == "csv" and dossier_vocabulary().fields[name].kind == "fee_list":
        expected_en, expected_vi = ("an empty cell (a fee list cannot be a CSV cell; give TongPhiLePhi)",
                                    "ô trống (danh sách phí không ghi được trong một ô CSV; dùng TongPhiLePhi)")
    cells = delivery.cells[name]
    rows = np.flatnonzero(bad)
    out = []
    for i in rows[:MAX_CELL_PROBLEMS_PER_COLUMN]:
        typed = found[i] if found and i in found else cells.at(i)
        if delivery.file_format == "json":
            typed = _typed(typed)
        row = int(delivery.row_numbers[i])
        out.append(((row, position), Problem(
            file=delivery.file, source=SOURCE, row=row, column=header, letter=letter, found=typed,
            expected=expected_en, expected_vi=expected_vi, detail=_record_detail(delivery, i))))
    if len(rows) > MAX_CELL_PROBLEMS_PER_COLUMN:
        rest = rows[MAX_CELL_PROBLEMS_PER_COLUMN:]
        first, last = int(delivery.row_numbers[rest[0]]), int(delivery.row_numbers[rest[-1]])
        out.append(((last, position), Problem(
            file=delivery.file, source=SOURCE, column=header, letter=letter,
            found=f"{len(rest)} more such cells (rows {first}–{last})",
            expected=expected_en, expected_vi=expected_vi)))
    return out


def _blank_rows(delivery: _Delivery, ids: np.ndarray) -> np.ndarray:
    """CSV rows whose every cell read is empty or blanks (Excel's empty rows): skipped, still counted."""
    blank = np.zeros(delivery.n, dtype=bool)
    for i in np.flatnonzero(pd.isna(ids)):
        blank[i] = all(not str(c.at(i) or "").strip() for c in delivery.cells.values())
    return blank


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
                   for name, value in canon.items()}, scope=True)


def _records_of(delivery: _Delivery, vocab: DossierVocabulary, unit_code: str | None = None,
                period: str | None = None) -> pd.DataFrame:
    """The records of a delivery read by meaning, scoped to the unit and month (`scope_dossiers`);
    BadInputError with every problem found, if any."""
    n, texts_only = delivery.n, delivery.file_format == "csv"
    canon: dict[str, object] = {}
    bad_of: dict[str, tuple[np.ndarray, dict | None]] = {}
    fee_lists = []
    for spec in vocab.fields.values():
        if not spec.read:
            continue
        if spec.kind == "fee_list":
            fee_lists.append(spec)
            continue
        if spec.name in delivery.cells:
            values, bad, found = _convert_column(spec, delivery.cells[spec.name], n, texts_only)
            bad_of[spec.name] = (bad, found)
        else:
            values = _convert_column(spec, _Cells(values=np.full(n, None, dtype=object)), n, True)[0]
        canon[spec.column] = values
    for spec in fee_lists:  # JSON: a record's fee list, where it has one, gives its fee
        if spec.name not in delivery.cells:
            continue
        totals, bad, found = _convert_column(spec, delivery.cells[spec.name], n, texts_only)
        bad_of[spec.name] = (bad, found)
        if not texts_only:
            listed = ~delivery.absent[spec.name] & ~delivery.not_records
            for other, (other_bad, _) in bad_of.items():
                if other != spec.name and vocab.fields[other].column == spec.column:
                    other_bad &= ~listed
            current = canon.get(spec.column)
            canon[spec.column] = np.where(listed, totals, np.zeros(n) if current is None else current)
    keep = np.ones(n, dtype=bool)
    if texts_only and n:
        keep = ~_blank_rows(delivery, canon["ma_ho_so"])
    if delivery.not_records is not None:
        keep &= ~delivery.not_records
    # the header's problems first, then every record's, in row order (a record's own before its cells')
    keyed = [((p.row or 0, -1), p) for p in delivery.problems]
    for name, (bad, found) in bad_of.items():
        bad = bad & keep
        if name in delivery.absent:
            bad &= ~delivery.absent[name]
        keyed += _cell_problems(delivery, name, bad, found)
    if keyed:
        keyed.sort(key=lambda kp: kp[0])
        raise BadInputError(problems=[p for _, p in keyed])
    if not keep.all():
        canon = {k: v[keep] for k, v in canon.items()}
    for column in RECORD_COLUMNS[:-3]:
        canon.setdefault(column, np.full(int(keep.sum()), None, dtype=object))
    canon.update(source_file=delivery.file, sheet=None, row_number=delivery.row_numbers[keep])
    records = _newest_states_frame(canon)
    records.attrs.update(
        source_description=delivery.file, file_format=delivery.file_format,
        column_labels={u["name"]: u["header"] for u in delivery.columns_used},
        column_letters={u["name"]: u["letter"] for u in delivery.columns_used if u["letter"]},
        columns_used=delivery.columns_used, columns_ignored=delivery.columns_ignored,
        reader_warnings=[w.to_dict() for w in delivery.warnings],
        value_sets={f.column: list(f.values.spellings) for f in vocab.fields.values()
                    if f.read and f.kind == "choice"})
    if delivery.declared_total is not None:
        records.attrs["declared_total"] = delivery.declared_total

    def refuse(problem: Problem) -> Exception:
        return BadInputError(problems=[problem])

    return scope_dossiers(records, unit_code, period, file=delivery.file, refuse=refuse)


def read_dossier_export(path: str | Path, period: str | None = None, unit_code: str | None = None) -> pd.DataFrame:
    """Dossiers from a file export: JSON (`{"tong_so": N, "du_lieu": [...]}` or a list) or CSV (UTF-8 with or
    without BOM, UTF-16; fees flattened to `TongPhiLePhi`). Same records as `PublicServiceClient.fetch_month`.

    With `unit_code` and `period` (the delivery's), the dossiers of another unit or month are left out and
    reported, and a file that is mostly theirs is refused (`scope_dossiers`). A JSON export's `tong_so` must
    equal the number of records it lists. Fees are refused at the cell when infinite, NaN or above the
    layout's `max`.

    Read by meaning (`dossier_vocabulary()`, the layout's `dossier_fields` and `dossier_values`): a header or
    key in any spelling of the vocabulary, in any order; a value in any spelling of its vocabulary. A
    column nobody declared is ignored and reported (`records.attrs["reader_warnings"]`, problems as dicts);
    `attrs["columns_used"]` ({name, header, letter}) and `attrs["columns_ignored"]` ({header, letter,
    known}) list them all. Rows of nothing but blanks are skipped. Read column by column: headers are mapped
    once, values once per distinct value, dates and amounts vectorised (1 M dossiers in seconds).

    Raises:
        BadInputError: every problem of the delivery at once (`.problems`): a required column missing (with
            the closest header), two columns with one meaning, each cell that does not fit (file, row as a
            spreadsheet shows it or the JSON record's position and MaHoSo, the column by its header as typed
            and its letter, the value as typed, what was expected); a `tong_so` that is not the number of
            records; a file whose dossiers are mostly another unit's or another month's.
    """
    path = Path(path)
    data = path.read_bytes()
    text = decode_text(data, file=path.name, source=SOURCE)[0].lstrip("\ufeff") if data else ""
    stripped = text.lstrip()
    vocab = dossier_vocabulary()
    if stripped.startswith(("{", "[")):
        delivery = _json_delivery(path.name, stripped, vocab)
    else:
        delivery = _csv_delivery(path.name, text, data, vocab)
    return _records_of(delivery, vocab, unit_code, period)


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
    for code, num_mask, den_mask, field, column in (
        ("DOSSIER_ONLINE", online, received, "KenhThucHien", "kenh_thuc_hien"),
        ("DOSSIER_ON_TIME", on_time, finished, "NgayKetThucXuLy", "ngay_ket_thuc_xu_ly"),
        ("DOSSIER_FEE_ONLINE", paid, fee, "DuocThanhToanTrucTuyen", "duoc_thanh_toan_truc_tuyen"),
    ):
        num, den = float(num_mask.sum()), float(den_mask.sum())
        # an aggregate of many dossiers has no cell: the export's column letter where it has one (a CSV)
        rows.append(observation(code, unit_code, period, value=ratio_percent(num, den), numerator=num,
                                denominator=den, source_file=_lineage_source(records, den_mask),
                                sheet=None, row_number=None, column_name=field, raw_text=None,
                                column_letter=column_letter_of(records, column)))
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


def read_bieu06_workbook(path: str | Path, period: str | None = None) -> pd.DataFrame:
    """The rows of a Biểu số 06/VPCP/KSTT workbook: `stt, linh_vuc, nhan_*, da_gq_*, dang_gq_*` (counts),
    + lineage. `records.attrs["period"]` is the month the report covers.

    Raises:
        BadInputError: every problem at once: the workbook does not fit the layout, a row's parts do not add
            up to its total (nhận: tổng = trực tuyến + trực tiếp/BCCI + từ kỳ trước; đã giải quyết: tổng =
            trước + đúng + quá hạn), or the `Tổng số` row disagrees with the sum of the top-level rows (the
            outline `observations_from_bieu06` uses), each named at the total's cell with the parts' sum and
            the gap.
    """
    from connectors.excel import read_workbook
    from connectors.layout import load_layout

    path = Path(path)
    table = read_workbook(path, load_layout(SOURCE), period=period)["bieu_06"]
    records = table.records
    records = records[records["linh_vuc"].notna()].reset_index(drop=True)
    labels = table.column_labels
    letters = records.attrs.get("column_letters") or table.records.attrs.get("column_letters") or {}
    problems = []
    # Every row's totals against their parts, each break named at the total's cell with the parts' sum and
    # the gap (nhận: tổng = trực tuyến + trực tiếp/BCCI + từ kỳ trước; đã giải quyết: tổng = trước + đúng + quá).
    for rec in records.to_dict("records"):
        for total, parts in (("nhan_tong", ("nhan_truc_tuyen", "nhan_truc_tiep_bcci", "nhan_ky_truoc")),
                             ("da_gq_tong", ("da_gq_truoc_han", "da_gq_dung_han", "da_gq_qua_han"))):
            values = [rec[c] for c in (total, *parts)]
            if any(pd.isna(v) for v in values):
                continue
            summed = sum(values[1:])
            if values[0] != summed:
                named = " + ".join(f"{letters.get(c, '')} '{labels[c]}'".strip() for c in parts)
                gap = values[0] - summed
                problems.append(Problem(
                    file=path.name, source=SOURCE, sheet=table.sheet, row=int(rec["row_number"]),
                    column=labels[total], letter=letters.get(total), found=(rec.get("raw_cells") or {}).get(total),
                    expected=f"the sum of its parts, {summed:g} ({named}); difference {gap:+g}",
                    expected_vi=f"bằng tổng các phần, {summed:g} ({named}); chênh {gap:+g}"))
    problems += _bieu06_total_problems(path.name, table.sheet, records, labels, letters)
    if problems:
        problems.sort(key=lambda p: (p.row or 0, _letter_key(p.letter)))
        raise BadInputError(problems=problems)
    period, shown = _report_period(table.preamble)
    records.attrs.update(table.records.attrs)
    records.attrs["period"] = period or table.period
    records.attrs["period_text"] = shown
    records.attrs["record_kind"] = "bieu06"
    return records


#: Every count column of Biểu 06 that a `Tổng số` row carries (checked against the rows' sum when present).
BIEU06_COUNT_COLUMNS = (*BIEU06_COLUMNS, "dang_gq_tong", "dang_gq_trong_han", "dang_gq_qua_han")


def _letter_key(letter: str | None) -> tuple[int, str]:
    return (len(letter or ""), letter or "")


def _bieu06_total_problems(file: str, sheet: str | None, records: pd.DataFrame, labels: dict,
                           letters: dict) -> list[Problem]:
    """The `Tổng số` row (the last total row of the outline, the one the observations use) against the sum of
    the top-level rows (Roman sections when there are any, else the whole-number STT rows, never a parent with
    its children): one problem per disagreeing count column, at the total's cell. Counts are whole numbers,
    so they must agree exactly; a column left blank on the total row, or on every top-level row, is not
    compared."""
    if records.empty:
        return []
    outline = outline_rows(list(records["stt"]), list(records["linh_vuc"]))
    totals = [i for i, row in enumerate(outline) if row.kind == "total"]
    tops = [i for i, row in enumerate(outline) if row.level == 1]
    if not totals or not tops:
        return []
    total = records.iloc[totals[-1]]
    parts = records.iloc[tops]
    stts = [str(s) for s in parts["stt"]]
    span = f"STT {stts[0]}–{stts[-1]}" if len(stts) > 1 else f"STT {stts[0]}"
    raw = total.get("raw_cells") or {}
    out = []
    for column in BIEU06_COUNT_COLUMNS:
        if column not in records.columns or pd.isna(total[column]) or parts[column].isna().all():
            continue
        summed = float(parts[column].sum(min_count=1))
        value = float(total[column])
        if value == summed:
            continue
        gap = value - summed
        out.append(Problem(
            file=file, source=SOURCE, sheet=sheet, row=int(total["row_number"]), column=labels.get(column, column),
            letter=letters.get(column), found=raw.get(column, f"{value:g}"),
            expected=(f"the sum of the rows {span} ({len(tops)} rows), {summed:g}; difference {gap:+g} "
                      f"(the 'Tổng số' row disagrees with the rows it totals)"),
            expected_vi=(f"bằng tổng các dòng {span} ({len(tops)} dòng), {summed:g}; chênh {gap:+g} "
                         f"(dòng 'Tổng số' không khớp với các dòng cộng lại)")))
    return out


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
                               raw_text=raw.get(column) if single else None,
                               column_letter=column_letter_of(records, column)))
    return observation_frame(out)


def read_public_service_export(path: str | Path, period: str | None = None,
                               unit_code: str | None = None) -> pd.DataFrame:
    """Any public-service file delivery: a dossier export (JSON, CSV in UTF-8/UTF-16) or a Biểu 06 workbook.

    Told apart by the bytes (a workbook or an HTML table is Biểu 06). Feed the result to
    `observations_from_public_service`, which handles both shapes. `unit_code` and `period` scope a dossier
    export (`read_dossier_export`); a Biểu 06 report is one unit's by its form.
    """
    from connectors.excel import sniff_format

    if sniff_format(path) in ("xlsx", "xls", "ods", "html"):
        return read_bieu06_workbook(path, period)
    return read_dossier_export(path, period, unit_code)
