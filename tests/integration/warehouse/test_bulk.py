"""warehouse.bulk.insert_frame on both engines: values round-trip exactly, NULLs stay NULL, and the rows
belong to the caller's transaction (a failure rolls them back with everything else)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from warehouse import bulk, models

NAN = float("nan")


def new_load(conn, fingerprint: str = "a" * 64) -> int:
    return conn.execute(models.loads.insert().values(
        source_code="public_service", unit_code="10549", period="2025-08", fingerprint=fingerprint,
        rows_loaded=0, status="superseded", started_at=dt.datetime(2025, 9, 1, tzinfo=dt.UTC),
    )).inserted_primary_key[0]


def stored(engine, table: sa.Table, order_by: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(table.c[order_by]))]


# Three dossiers covering every column kind: NULL spelled NaN / NaT / None / pd.NA, a whole float in an
# integer column, text with tab, newline, backslash, quotes, a literal "\N", Vietnamese and other scripts,
# '' (not NULL), microseconds, and a float that only round-trips when written exactly.
DOSSIERS = pd.DataFrame({
    "dossier_code": ["HS-01", 'HS-02 "tab\there"\nline\\two', "HS-03"],
    "unit_code": ["10549", "10549", "10549"],
    "period": ["2025-08", "2025-08", "2025-08"],
    "procedure_code": ["2.000815", "Thủ tục chứng thực ✓ 日本", "\\N"],
    "field_code": ["CT", None, ""],
    "service_level": [3.0, NAN, 4.0],
    "channel": pd.array([2, pd.NA, 1], dtype="Int64"),
    "received_at": pd.to_datetime(["2025-08-04 07:39:57.123456", "2025-08-05 08:00:00.000000",
                                   "2025-08-31 23:59:59.000000"]),
    "due_at": pd.to_datetime(["2025-08-05 17:00:00", None, "2025-09-02 17:00:00"]),
    "finished_at": pd.Series([pd.NaT, pd.NaT, pd.Timestamp("2025-09-01 10:00:00")]),
    "returned_at": pd.Series([None, None, None], dtype=object),
    "rejected_at": pd.to_datetime(["2025-08-06 09:30:00", None, None]),
    "status_code": ["6", None, "10"],
    "is_paid_online": pd.array([True, pd.NA, False], dtype="boolean"),
    "fee_vnd": [0.1 + 0.2, NAN, 0.0],
})


def expected_dossiers(load_id: int) -> list[tuple]:
    """The rows as they must read back, written out by hand (column order of the table)."""
    t = dt.datetime
    return [
        (load_id, "HS-01", "10549", "2025-08", "2.000815", "CT", 3, 2, t(2025, 8, 4, 7, 39, 57, 123456),
         t(2025, 8, 5, 17), None, None, t(2025, 8, 6, 9, 30), "6", True, 0.30000000000000004),
        (load_id, 'HS-02 "tab\there"\nline\\two', "10549", "2025-08", "Thủ tục chứng thực ✓ 日本", None, None,
         None, t(2025, 8, 5, 8), None, None, None, None, None, None, None),
        (load_id, "HS-03", "10549", "2025-08", "\\N", "", 4, 1, t(2025, 8, 31, 23, 59, 59), t(2025, 9, 2, 17),
         t(2025, 9, 1, 10), None, None, "10", False, 0.0),
    ]


def test_every_kind_of_value_round_trips(engine):
    with engine.begin() as conn:
        load_id = new_load(conn)
        assert bulk.insert_frame(conn, models.dossiers, DOSSIERS.assign(load_id=load_id)) == 3
    assert stored(engine, models.dossiers, "dossier_code") == expected_dossiers(load_id)


def test_observations_keep_nulls_empty_members_and_exact_floats(engine):
    frame = pd.DataFrame({
        "indicator_code": ["REV_YTD", "HO_NGHEO", "ANTT"],
        "unit_code": "10549", "period": "2025-08",
        "member_code": ["I.1", "", ""],
        "value": [123456789012.5, 1e-300, NAN],
        "numerator": [NAN, 12.0, NAN],
        "denominator": [NAN, 3456.0, NAN],
        "text_value": [None, None, "Giữ vững"],
        "source_file": "chi-tieu-khac-2025-08.xlsx",
        "sheet": ["Thu NSNN", None, "Chỉ tiêu"],
        "row_number": np.array([10, 11, 12], dtype="int64"),
        "column_name": "Thực hiện / Tháng 8",
        "raw_text": ["123.456.789.012,5", "", None],
    })
    with engine.begin() as conn:
        load_id = new_load(conn)
        bulk.insert_frame(conn, models.observations, frame.assign(load_id=load_id))
    with engine.connect() as conn:
        got = [tuple(r) for r in conn.execute(sa.text(
            "SELECT indicator_code, member_code, value, numerator, denominator, text_value, sheet, row_number, "
            "raw_text FROM observations ORDER BY row_number"))]
    assert got == [
        ("REV_YTD", "I.1", 123456789012.5, None, None, None, "Thu NSNN", 10, "123.456.789.012,5"),
        ("HO_NGHEO", "", 1e-300, 12.0, 3456.0, None, None, 11, ""),
        ("ANTT", "", None, None, None, "Giữ vững", "Chỉ tiêu", 12, None),
    ]


def test_rows_roll_back_with_the_callers_transaction(engine):
    with pytest.raises(RuntimeError):
        with engine.begin() as conn:
            load_id = new_load(conn)
            bulk.insert_frame(conn, models.dossiers, DOSSIERS.assign(load_id=load_id))
            raise RuntimeError("something later in the same transaction failed")
    assert stored(engine, models.dossiers, "dossier_code") == []
    assert stored(engine, models.loads, "load_id") == []


def test_a_refused_row_raises_the_usual_integrity_error_and_nothing_stays(engine):
    twice = pd.concat([DOSSIERS, DOSSIERS.iloc[[2]]], ignore_index=True)  # HS-03 twice: primary key
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            load_id = new_load(conn)
            bulk.insert_frame(conn, models.dossiers, twice.assign(load_id=load_id))
    assert stored(engine, models.loads, "load_id") == []
    assert stored(engine, models.dossiers, "dossier_code") == []


@pytest.mark.parametrize(("column", "values", "message"), [
    ("channel", [1.5, 2.0, 1.0], "dossiers.channel"),
    ("fee_vnd", ["18000", "mười nghìn", "0"], "dossiers.fee_vnd"),
    ("colour", ["x", "y", "z"], "no column(s) ['colour']"),
])
def test_values_that_do_not_fit_are_refused_before_anything_is_written(engine, column, values, message):
    bad = DOSSIERS.assign(**{column: values})
    with engine.begin() as conn:
        load_id = new_load(conn)
        with pytest.raises((ValueError, TypeError), match=message.replace("(", r"\(").replace(")", r"\)")
                           .replace("[", r"\[").replace("]", r"\]")):
            bulk.insert_frame(conn, models.dossiers, bad.assign(load_id=load_id))
    assert stored(engine, models.dossiers, "dossier_code") == []


def test_an_empty_frame_inserts_nothing(engine):
    with engine.begin() as conn:
        assert bulk.insert_frame(conn, models.dossiers, DOSSIERS.iloc[0:0]) == 0
    assert stored(engine, models.dossiers, "dossier_code") == []
