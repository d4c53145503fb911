"""Bulk inserts of a DataFrame into one warehouse table, inside the caller's transaction.

A frame's rows go in as one COPY (PostgreSQL, text format built column by column by numpy) or one DBAPI
``executemany`` (SQLite), never as one ORM statement per row. Both run on the DBAPI connection under the SQLAlchemy
``Connection`` the caller got from ``engine.begin()``, so a failure anywhere rolls the rows back with
the rest of the caller's transaction.

Values are converted column by column (vectorised) to what the table's column types expect: NaN, NaT,
``pd.NA`` and ``None`` become NULL; whole floats in an integer column become ``int``; timestamps stay
timestamps on PostgreSQL and become SQLAlchemy's SQLite text form (``YYYY-MM-DD HH:MM:SS.ffffff``), so
rows written here read back through SQLAlchemy exactly like rows written through it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection


def _kind(column: sa.Column) -> str:
    """The column's value kind: int, float, bool, datetime, datetimetz, date or text."""
    col_type = column.type
    if isinstance(col_type, sa.Boolean):
        return "bool"
    if isinstance(col_type, sa.Integer):
        return "int"
    if isinstance(col_type, sa.Float | sa.Numeric):
        return "float"
    if isinstance(col_type, sa.DateTime):
        return "datetimetz" if col_type.timezone else "datetime"
    if isinstance(col_type, sa.Date):
        return "date"
    if isinstance(col_type, sa.String):
        return "text"
    raise TypeError(f"column {column.table.name}.{column.name}: type {col_type!r} is not supported by bulk inserts")


def _typed(column: sa.Column, kind: str, values: pd.Series) -> pd.Series:
    """The column's values as the pandas type of its kind (Int64, float64, boolean, datetime64, str).

    Raises:
        ValueError, TypeError: a value does not fit the column (names the table and column).
    """
    where = f"{column.table.name}.{column.name}"
    try:
        if kind in ("int", "float"):
            if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
                values = pd.to_numeric(values)
            if kind == "int":
                return values.astype("Int64")  # refuses 1.5, keeps 10.0 as 10
            return values.astype("float64")
        if kind == "bool":
            return values.astype("boolean")
        if kind in ("datetime", "datetimetz", "date"):
            if not pd.api.types.is_datetime64_any_dtype(values.dtype):
                values = pd.to_datetime(values)
            return values
        if not pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
            values = values.astype("str")  # numbers written as text, like str(value); NaN/None stay missing
        return values
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"column {where}: {str(exc).splitlines()[0]}") from exc


def _stamp_texts(values: pd.Series, kind: str, *, utc: bool) -> np.ndarray:
    """Timestamps as ISO text (``YYYY-MM-DD HH:MM:SS.ffffff``, dates ``YYYY-MM-DD``), written by
    numpy in C (pandas' strftime formats cell by cell); NaT as 'NaT'. Aware values are written in UTC
    (`utc`) or as their wall time (SQLAlchemy's SQLite form)."""
    if getattr(values.dtype, "tz", None) is not None:
        values = (values.dt.tz_convert("UTC") if utc else values).dt.tz_localize(None)
    stamps = values.to_numpy(dtype="datetime64[us]")
    if kind == "date":
        return np.datetime_as_string(stamps.astype("datetime64[D]"), unit="D")
    text = np.datetime_as_string(stamps, unit="us")
    if len(text):
        text.view(np.uint32).reshape(len(text), -1)[:, 10] = ord(" ")  # the 'T' of every cell, in place
    return text


def _column_values(column: sa.Column, kind: str, values: pd.Series, dialect: str) -> np.ndarray:
    """One column converted for the DBAPI: Python scalars (or SQLite's text forms), None for NULL.

    Raises:
        ValueError, TypeError: a value does not fit the column (names the table and column).
    """
    values = _typed(column, kind, values)
    if kind in ("datetime", "datetimetz", "date"):
        missing = values.isna().to_numpy()
        if dialect == "sqlite":  # SQLAlchemy's storage format there (see the module docstring)
            out = _stamp_texts(values, kind, utc=False).astype(object)
        elif kind == "date":
            out = np.array(values.dt.date, dtype=object)
        else:  # plain datetime objects: psycopg dumps a pd.Timestamp (a subclass) ~25x slower
            out = np.array(values.dt.to_pydatetime(), dtype=object)  # a writable copy
        out[missing] = None
        return out
    return values.to_numpy(dtype=object, na_value=None)  # Python scalars; NaN and NA become None


# COPY's text format: a backslash, tab, newline or carriage return inside a value is escaped; \N is NULL.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = "\\N"


def _copy_texts(kind: str, values: pd.Series) -> np.ndarray:
    """Typed values (`_typed`) as the cells of PostgreSQL's COPY text format (object array of str)."""
    missing = values.isna().to_numpy()
    if kind == "int":
        out = values.to_numpy(dtype="int64", na_value=0).astype(str).astype(object)
    elif kind == "float":
        out = values.to_numpy(dtype="float64").astype(str).astype(object)  # numpy: shortest exact repr
    elif kind == "bool":
        out = np.where(values.to_numpy(dtype=bool, na_value=False), "t", "f").astype(object)
    elif kind in ("datetime", "datetimetz", "date"):
        out = _stamp_texts(values, kind, utc=True).astype(object)
        if kind == "datetimetz":
            out = out + "+00"
    else:
        out = values.to_numpy(dtype=object, na_value=None).copy()
        present = out[~missing]
        joined = "\x00".join(present)  # one C scan of the whole column instead of one per cell
        if any(ch in joined for ch in "\\\t\n\r"):
            out[~missing] = [v.translate(_COPY_ESCAPES) for v in present]
    out[missing] = _COPY_NULL
    return out


def frame_rows(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> Iterable[tuple]:
    """The frame's rows as DBAPI tuples in the frame's column order (one pass of vectorised conversion)."""
    dialect = conn.dialect.name
    arrays = [_column_values(table.c[name], _kind(table.c[name]), frame[name], dialect) for name in frame.columns]
    return zip(*arrays, strict=True)


def _check_columns(table: sa.Table, frame: pd.DataFrame) -> None:
    unknown = [str(c) for c in frame.columns if c not in table.c]
    if unknown:
        raise ValueError(f"table {table.name} has no column(s) {unknown}; its columns are {list(table.c.keys())}")
    if not frame.columns.is_unique:
        raise ValueError(f"table {table.name}: the frame names a column twice: {list(frame.columns)}")


_COPY_CHUNK_ROWS = 50_000


def _copy_postgresql(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """COPY in PostgreSQL's text format, built column by column by numpy one chunk at a time, so the
    server parses a chunk while the next one is built (psycopg's binary COPY fed row by row with
    Python values kept this process busy ~2x longer than the server on 1 M dossiers)."""
    from psycopg import sql

    columns = [table.c[name] for name in frame.columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(*([table.schema] if table.schema else []), table.name),
        sql.SQL(", ").join(sql.Identifier(c.name) for c in columns))
    kinds = [_kind(c) for c in columns]
    typed = [_typed(c, kind, frame[c.name]) for c, kind in zip(columns, kinds, strict=True)]  # refusals first
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(frame), _COPY_CHUNK_ROWS):
            cells = [_copy_texts(kind, values.iloc[start:start + _COPY_CHUNK_ROWS])
                     for kind, values in zip(kinds, typed, strict=True)]
            copy.write("\n".join(map("\t".join, zip(*cells, strict=True))) + "\n")
    return len(frame)


def _executemany_sqlite(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    preparer = conn.dialect.identifier_preparer
    names = ", ".join(preparer.quote(str(c)) for c in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    statement = f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({marks})"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(statement, frame_rows(conn, table, frame))
    finally:
        cursor.close()
    return len(frame)


def insert_frame(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Insert every row of ``frame`` into ``table`` in bulk, inside ``conn``'s transaction.

    Args:
        conn: a SQLAlchemy connection in a transaction (``with engine.begin() as conn``).
        table: the target table (``warehouse.models.*``); the frame's columns must be some of its columns,
            the others take their defaults (e.g. the surrogate key).
        frame: the rows; NaN/NaT/None/pd.NA are written as NULL.

    Returns:
        The number of rows inserted.

    Raises:
        ValueError, TypeError: the frame names a column the table lacks, or a value does not fit its column.
        sqlalchemy.exc.DBAPIError: the database refused a row (constraint, type); the caller's transaction
            is then to be rolled back.
    """
    _check_columns(table, frame)
    if frame.empty:
        return 0
    try:
        if conn.dialect.name == "postgresql":
            return _copy_postgresql(conn, table, frame)
        if conn.dialect.name == "sqlite":
            return _executemany_sqlite(conn, table, frame)
    except conn.dialect.loaded_dbapi.Error as exc:
        # Wrapped like SQLAlchemy's own statements, so callers catch IntegrityError / DataError as usual.
        raise sa.exc.DBAPIError.instance(f"bulk insert into {table.name}", None, exc,
                                         conn.dialect.loaded_dbapi.Error, dialect=conn.dialect) from exc
    conn.execute(table.insert(), [dict(zip(frame.columns, row, strict=True))
                                  for row in frame_rows(conn, table, frame)])
    return len(frame)
