"""Bulk inserts of a DataFrame into one warehouse table, inside the caller's transaction.

A frame's rows go in as one COPY (PostgreSQL, psycopg 3 binary format) or one DBAPI ``executemany``
(SQLite), never as one ORM statement per row. Both run on the DBAPI connection under the SQLAlchemy
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

# SQLAlchemy's own storage formats on SQLite (sqlalchemy.dialects.sqlite.DATETIME / DATE).
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
_SQLITE_DATE = "%Y-%m-%d"


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


# psycopg type names for the binary COPY (its dumpers by type, so Python values are written as these).
_PG_TYPES = {"bool": "bool", "float": "float8", "datetime": "timestamp", "datetimetz": "timestamptz",
             "date": "date", "text": "text"}
_PG_INT_TYPES = {sa.SmallInteger: "int2", sa.BigInteger: "int8"}


def _pg_type(column: sa.Column, kind: str) -> str:
    if kind == "int":
        return next((name for cls, name in _PG_INT_TYPES.items() if isinstance(column.type, cls)), "int4")
    return _PG_TYPES[kind]


def _column_values(column: sa.Column, kind: str, values: pd.Series, dialect: str) -> np.ndarray:
    """One column converted for the DBAPI: Python scalars (or SQLite's text forms), None for NULL.

    Raises:
        ValueError, TypeError: a value does not fit the column (names the table and column).
    """
    where = f"{column.table.name}.{column.name}"
    try:
        if kind in ("int", "float"):
            if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
                values = pd.to_numeric(values)
            if kind == "int":
                values = values.astype("Int64")  # refuses 1.5, keeps 10.0 as 10
            else:
                values = values.astype("float64")
        elif kind == "bool":
            values = values.astype("boolean")
        elif kind in ("datetime", "datetimetz", "date"):
            if not pd.api.types.is_datetime64_any_dtype(values.dtype):
                values = pd.to_datetime(values)
            if dialect == "sqlite":
                values = values.dt.strftime(_SQLITE_DATE if kind == "date" else _SQLITE_DATETIME)
            elif kind == "date":
                values = values.dt.date
        else:  # text
            if not pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
                values = values.astype("str")  # numbers written as text, like str(value); NaN/None stay missing
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"column {where}: {str(exc).splitlines()[0]}") from exc
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        # plain datetime objects: psycopg dumps a pd.Timestamp (a subclass) ~25x slower; NaT needs the mask
        out = np.array(values.dt.to_pydatetime(), dtype=object)  # a writable copy
        out[values.isna().to_numpy()] = None
        return out
    return values.to_numpy(dtype=object, na_value=None)  # Python scalars; NaN and NA become None


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


def _copy_postgresql(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    from psycopg import sql

    columns = [table.c[name] for name in frame.columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(*([table.schema] if table.schema else []), table.name),
        sql.SQL(", ").join(sql.Identifier(c.name) for c in columns))
    rows = frame_rows(conn, table, frame)
    count = 0
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types([_pg_type(c, _kind(c)) for c in columns])
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


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
