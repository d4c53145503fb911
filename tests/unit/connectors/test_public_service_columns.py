"""The column-wise dossier export reader against the per-record rules of the API path.

`_reference_read` reads an export record by record with the csv module / json and `_canonical` (the
API's rules, which use the same layout vocabulary), the way `read_dossier_export` read before it went
column by column. For the sample exports and for hypothesis-made files of messy cells (headers in the
sync names), the column-wise reader must return an equal frame, or refuse the same rows: every record
the per-record rules refuse, and only those, is named, with the field and value those rules name. The
vectorised helpers of connectors.vn are held to their scalar functions value by value.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import BadInputError
from connectors.public_service import (
    REQUIRED_FIELDS,
    SOURCE,
    _canonical,
    _frame,
    convert_value,
    dossier_vocabulary,
    newest_states,
    read_dossier_export,
)
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
)

FILES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALUES = settings(max_examples=150, deadline=None)


class Refused(Exception):
    """What the per-record rules refuse: {row: (field, value found)}, the first problem of each record."""

    def __init__(self, rows: dict[int, tuple[str, object]], header: str | None = None):
        super().__init__(rows, header)
        self.rows, self.header = rows, header


def _reference_read(path: str | Path) -> pd.DataFrame:
    """Record by record: csv module (or json), then `_canonical` on each record (every refusal collected)."""
    path = Path(path)
    data = path.read_bytes()
    text = decode_text(data, file=path.name, source=SOURCE)[0].lstrip("\ufeff") if data else ""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        body = json.loads(stripped)
        rows = body.get("du_lieu") if isinstance(body, dict) else body
        numbered = list(enumerate(rows, start=1))
    else:
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))
        headers = [normalize_text(h) for h in (table[0] if table else [])]
        if len(set(headers)) < len(headers):
            raise Refused({}, header="two columns with one meaning")
        wanted = [f for f in (*REQUIRED_FIELDS, "TongPhiLePhi") if f not in headers]
        if wanted:
            raise Refused({}, header=f"no column {wanted[0]}")
        numbered = []
        for row_number, cells in enumerate(table[1:], start=2):
            cells = cells[:len(headers)]
            if all(not c.strip() for c in cells):  # an empty row of the spreadsheet: skipped, still counted
                continue
            cells += [""] * (len(headers) - len(cells))  # a short row: its last cells are empty
            numbered.append((row_number, {h: (c if c != "" else None) for h, c in zip(headers, cells, strict=True)}))
    items, refused = [], {}
    for row_number, raw in numbered:
        def fail(field, found, expected):
            return Refused({0: (field, found)})
        try:
            canon = _canonical(raw, fail)
        except Refused as exc:
            refused[row_number] = exc.rows[0]
            continue
        canon.update(source_file=path.name, sheet=None, row_number=row_number)
        items.append((canon, raw))
    if refused:
        raise Refused(refused)
    records = _frame([c for c, _ in newest_states(items)])
    records.attrs["source_description"] = path.name
    return records


def _outcome(read, path):
    try:
        return read(path)
    except (BadInputError, Refused) as exc:  # the refusal itself is what is compared
        return exc


def assert_same_reading(path: Path) -> None:
    expected, got = _outcome(_reference_read, path), _outcome(read_dossier_export, path)
    if isinstance(expected, Refused):
        assert isinstance(got, BadInputError), f"{path.name}: read, but the per-record rules refuse {expected.rows}"
        if expected.header:
            assert any(p.row in (1, None) for p in got.problems), got.problems  # (and any bad cell too)
            return
        by_row: dict[int, list] = {}
        for problem in got.problems:
            assert problem.row is not None, problem
            by_row.setdefault(problem.row, []).append(problem)
        assert set(by_row) == set(expected.rows), (sorted(by_row), sorted(expected.rows))
        for row, (field, found) in expected.rows.items():
            if field == "(record)":  # not a JSON object
                assert any(p.column is None for p in by_row[row])
                continue
            named = {normalize_text(p.column): p for p in by_row[row]}
            assert field in named, (row, field, by_row[row])
            if found is None:  # an empty CSV cell, a JSON null
                assert named[field].found in ("", "null", None), (row, field, named[field].found)
            elif named[field].found is not None and not isinstance(found, list):
                typed = found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)
                assert named[field].found == typed, (row, field, named[field].found, typed)
        return
    assert not isinstance(got, Exception), f"{path.name}: raised {got!r}, the per-record rules did not"
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(got.dtypes) == list(expected.dtypes)
    for col in got.columns:  # None stays None, NaN stays NaN: no swap hidden by assert_frame_equal
        if got[col].dtype == object:
            assert [type(v) for v in got[col]] == [type(v) for v in expected[col]], col
    assert got.attrs["source_description"] == expected.attrs["source_description"]


def test_sample_exports_read_the_same(samples_dir):
    exports = sorted((samples_dir / "public_service" / "exports").glob("ho-so-*"))
    assert len(exports) >= 10
    for path in exports[:: max(1, len(exports) // 12)]:
        assert_same_reading(path)


# ------------------------------------------------------------------ messy files
STAMPS = st.one_of(
    st.sampled_from(["", " ", "-", "–", "03/08/2025 08:30:00", "3/8/2025 8:30", "31/02/2025 10:00:00",
                     "29/02/2024", "29/02/2025", "2025-08-03 08:30:00", "2025-08-03T08:30:00.75", "2025-13-01",
                     "03-08-2025 24:00:00", "03/08/2025 23:59:60", "00/08/2025", "03/08/0000", "03.08.2025",
                     " 03/08/2025 08:30:00", "03/08/2025  08:30:00", "03/08/2025\u00a008:30:00", "45678",
                     "03/08/2025T08:30:00", "０３/08/2025", "2025-08-03", "1/1/1500", "03/08/2025 08:30"]),
    st.builds(lambda d, m, y, h, mi, s, sep: f"{d:02d}{sep}{m:02d}{sep}{y} {h:02d}:{mi:02d}:{s:02d}",
              st.integers(0, 32), st.integers(0, 13), st.integers(1990, 2030), st.integers(0, 24),
              st.integers(0, 60), st.integers(0, 60), st.sampled_from("/.-")),
)
NUMBERS = st.sampled_from(["", "0", "2", "3", "1.5", "2,0", "x", "-", "(2)", "02", " 1 ", "1.000", "15,4%",
                           "1.234,5", "1,250", "'2", "٣", "1e3", "1..2"])
BOOLS = st.sampled_from(["", "true", "false", "True", "1", "0", "có", "Không", " x ", "maybe", "-", "t"])
TEXTS = st.one_of(st.sampled_from(["", " ", "'0123", "''7", "a  b", " Đăng ký ", "Đăng ký",
                                   "Đa\u0306ng", "x\u00a0y", "z\u200b", "tab\there", "line\nbreak", "G09-TP03",
                                   "\x1fsep", "a\x00b"]),
                  st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6))
CODES = st.one_of(st.builds("000.00.10549-{:06d}".format, st.integers(0, 12)), st.sampled_from(["", " ", "'1"]))


@st.composite
def dossier_rows(draw):
    n = draw(st.integers(0, 12))
    rows = []
    for _ in range(n):
        rows.append({
            "MaHoSo": draw(CODES), "MaTTHC": draw(TEXTS), "TenTTHC": draw(TEXTS), "MaLinhVuc": draw(TEXTS),
            "MucDo": draw(NUMBERS), "KenhThucHien": draw(NUMBERS), "NgayTiepNhan": draw(STAMPS),
            "NgayHenTra": draw(STAMPS), "NgayKetThucXuLy": draw(STAMPS), "NgayTra": draw(STAMPS),
            "NgayTuChoi": draw(STAMPS), "TrangThaiHoSo": draw(TEXTS), "DuocThanhToanTrucTuyen": draw(BOOLS),
            "TongPhiLePhi": draw(NUMBERS),
        })
    return rows


def _clean(rows, keep_bad: bool):
    """Mostly valid rows (so a frame comes out), unless the example keeps its bad cells."""
    if keep_bad:
        return rows
    fields = dossier_vocabulary().fields
    out = []
    for r in rows:
        r = dict(r)
        for name in ("MucDo", "KenhThucHien", "TongPhiLePhi", "DuocThanhToanTrucTuyen", "NgayTiepNhan",
                     "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi"):
            try:
                convert_value(fields[name], r[name])
            except ValueError:
                r[name] = ""
        if not normalize_text(r["MaHoSo"]).lstrip("'"):
            r["MaHoSo"] = "000.00.10549-999999"
        out.append(r)
    return out


@FILES
@given(rows=dossier_rows(), keep_bad=st.booleans(), delimiter=st.sampled_from([",", ";", "\t"]),
       newline=st.sampled_from(["\r\n", "\n"]), extra=st.sampled_from(["", "blank", "ragged", "short", "dup"]),
       encoding=st.sampled_from(["utf-8-sig", "utf-8", "utf-16"]))
def test_csv_reads_the_same(tmp_path, rows, keep_bad, delimiter, newline, extra, encoding):
    rows = _clean(rows, keep_bad)
    fields = list(rows[0]) if rows else ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "MucDo", "KenhThucHien",
                                          "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra",
                                          "NgayTuChoi", "TrangThaiHoSo", "DuocThanhToanTrucTuyen", "TongPhiLePhi"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    header = [f" {f} " if f == "MaLinhVuc" else f for f in fields]  # headers are normalised too
    if extra == "dup":
        header = [*header, "MaTTHC"]
    writer.writerow(header)
    for i, r in enumerate(rows):
        cells = [r[f] for f in fields]
        if extra == "dup":
            cells.append(f"dup{i}")
        if extra == "ragged" and i == len(rows) // 2:
            cells.append("extra")
        if extra == "short" and i == len(rows) // 2:
            cells = cells[:5]
        writer.writerow(cells)
        if extra == "blank" and i == 0:
            buffer.write("  " + newline + newline)
    path = tmp_path / "ho-so.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    assert_same_reading(path)
    if extra == "dup":  # two columns headed MaTTHC: refused, naming both by letter
        with pytest.raises(BadInputError) as info:
            read_dossier_export(path)
        assert any("column B 'MaTTHC' and column O 'MaTTHC' both mean it" in p.expected for p in info.value.problems)


@FILES
@given(rows=dossier_rows(), keep_bad=st.booleans(), typed=st.booleans(), fee_list=st.booleans())
def test_json_reads_the_same(tmp_path, rows, keep_bad, typed, fee_list):
    rows = _clean(rows, keep_bad)
    records = []
    for i, r in enumerate(rows):
        rec: dict = dict(r)
        if typed:  # what an API answer carries: numbers, booleans, null
            for field in ("MucDo", "KenhThucHien"):
                try:
                    value = parse_number(r[field])
                    rec[field] = None if value is None else (int(value) if i % 2 else float(value))
                except ValueError:
                    pass
            flag = r["DuocThanhToanTrucTuyen"]
            rec["DuocThanhToanTrucTuyen"] = {"true": True, "false": False, "1": 1, "0": 0}.get(flag, flag)
            rec["MaTTHC"] = 12.0 if i % 3 == 0 else rec["MaTTHC"]
            rec["NgayTra"] = None if rec["NgayTra"] == "" else rec["NgayTra"]
        if fee_list:
            del rec["TongPhiLePhi"]
            rec["DanhSachLePhi"] = [{"Gia": r["TongPhiLePhi"]}, {"Gia": 1000}] if i % 4 else "not a list"
        if i == 3 and keep_bad:
            del rec["NgayHenTra"]
        records.append(rec)
    if keep_bad and len(records) > 5:
        records[5] = ["not", "an object"]
    path = tmp_path / "ho-so.json"
    path.write_text(json.dumps({"tong_so": len(records), "du_lieu": records}, ensure_ascii=False), encoding="utf-8")
    assert_same_reading(path)


def test_every_bad_cell_is_named(tmp_path):
    """Every wrong cell: its row as a spreadsheet shows it, the header as typed, its letter, the value as typed."""
    lines = ["MaHoSo,KenhThucHien,NgayTiepNhan,NgayHenTra,NgayKetThucXuLy,NgayTuChoi,DuocThanhToanTrucTuyen,"
             "TongPhiLePhi"]
    lines += [f"A{i},2,03/08/2025 08:30:00,05/08/2025 17:00:00,,,true,0" for i in range(40)]
    lines[25] = "A24,2,03/08/2025 08:30:00,31/02/2025 17:00:00,,,true,0"
    lines[31] = "A30,4.5,03/08/2025 08:30:00,05/08/2025 17:00:00,,,true,0"
    path = tmp_path / "ho-so-2025-08.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(BadInputError) as got:
        read_dossier_export(path)
    # rows 26 and 32 of the file (header = row 1): the due date of 31 February, the channel 4.5
    assert [(p.file, p.row, p.column, p.letter, p.found) for p in got.value.problems] == [
        ("ho-so-2025-08.csv", 26, "NgayHenTra", "D", "31/02/2025 17:00:00"),
        ("ho-so-2025-08.csv", 32, "KenhThucHien", "B", "4.5")]
    assert_same_reading(path)


# ------------------------------------------------------------------ vectorised helpers, value by value
CELLS = st.one_of(st.none(), STAMPS, NUMBERS, BOOLS, TEXTS, st.integers(-5, 70000),
                  st.floats(allow_nan=True, allow_infinity=False, width=32), st.booleans())


def _scalar(fn, value):
    try:
        return fn(value), False
    except ValueError:
        return None, True


@VALUES
@given(values=st.lists(CELLS, max_size=30))
def test_helpers_equal_the_scalar_rules(values):
    array = np.array(values + [None], dtype=object)[:-1] if values else np.empty(0, dtype=object)
    assert list(normalize_text_array(array)) == [normalize_text(v) for v in values]
    numbers, bad = parse_number_array(array)
    for value, number, wrong in zip(values, numbers, bad, strict=True):
        want, want_bad = _scalar(parse_number, value)
        assert wrong == want_bad, value
        assert (math.isnan(number) if want is None else number == want), value
    flags, bad = parse_bool_array(array)
    assert [(f, b) for f, b in zip(flags, bad, strict=True)] == [_scalar(parse_bool, v) for v in values]
    stamps, bad = parse_datetime_array(array)
    for value, stamp, wrong in zip(values, stamps, bad, strict=True):
        want, want_bad = _scalar(parse_datetime, value)
        assert wrong == want_bad, value
        if want is None:
            assert np.isnat(stamp), value
        else:
            assert stamp == np.datetime64(want, "us"), value


def test_timestamps_on_a_calendar_grid():
    """Day 0-32 × month 0-13 × leap and common years × every layout × edge times: as `parse_datetime` reads them."""
    texts = []
    for year in (1900, 2000, 2024, 2025, 9999, 0):
        for month in range(14):
            for day in range(33):
                for time in ("00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60"):
                    texts += [f"{day:02d}/{month:02d}/{year:04d} {time}", f"{day:02d}.{month:02d}-{year:04d}T{time}",
                              f"{year:04d}-{month:02d}-{day:02d} {time}", f"{year:04d}-{month:02d}-{day:02d}T{time}"]
                texts += [f"{day:02d}/{month:02d}/{year:04d}", f"{year:04d}-{month:02d}-{day:02d}"]
    stamps, bad = parse_datetime_array(np.array(texts, dtype=object))
    for text, stamp, wrong in zip(texts, stamps, bad, strict=True):
        want, want_bad = _scalar(parse_datetime, text)
        assert wrong == want_bad, text
        assert np.isnat(stamp) if want is None else stamp == np.datetime64(want, "us"), text
