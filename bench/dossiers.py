"""A large one-stop dossier export (CSV, the export layout of docs/contracts.md) and its native load.

``write_export`` makes N dossiers of one unit received in one month, vectorised with numpy (1 M rows in
seconds), consistent with the contract's status rules (6 returned: NgayTuChoi = NgayKetThucXuLy; 7
withdrawn: NgayTuChoi, no end; 9 finished, not handed over; 10 handed over; 4 in progress), so that the
product's expectations pass. ``native_load`` is the yardstick: psycopg ``COPY … FROM STDIN (FORMAT csv)``
of the file's bytes into a plain typed table on PostgreSQL, ``sqlite3`` ``executemany`` of the parsed CSV
rows in one transaction on SQLite.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

FIELDS = ["MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "MucDo", "KenhThucHien", "NgayTiepNhan",
          "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "TrangThaiHoSo", "DonViXuLy",
          "DuocThanhToanTrucTuyen", "TongPhiLePhi"]
PROCEDURES = [  # (code, name, field code, field name, level, fee VND or 0)
    ("1.001612", "Đăng ký khai sinh", "G09-TP03", "Hộ tịch", 4, 0),
    ("1.001193", "Đăng ký kết hôn", "G09-TP03", "Hộ tịch", 4, 0),
    ("2.000908", "Chứng thực bản sao từ bản chính", "G09-TP02", "Chứng thực", 3, 2000),
    ("2.000815", "Chứng thực chữ ký", "G09-TP02", "Chứng thực", 3, 10000),
    ("1.004227", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "G09-XD06", "Hoạt động xây dựng", 4, 75000),
    ("2.000635", "Đăng ký thường trú", "G09-CA01", "Đăng ký, quản lý cư trú", 4, 20000),
    ("1.000656", "Trích lục khai tử", "G09-TP03", "Hộ tịch", 4, 5000),
    ("1.003005", "Xác nhận tình trạng hôn nhân", "G09-TP03", "Hộ tịch", 4, 0),
]
STATUS_SHARES = {10: 0.80, 9: 0.05, 4: 0.08, 6: 0.04, 7: 0.03}
TS_FORMAT = "%d/%m/%Y %H:%M:%S"
PG_DDL = """CREATE TABLE dossier_export (
    ma_ho_so TEXT, ma_tthc TEXT, ten_tthc TEXT, ma_linh_vuc TEXT, ten_linh_vuc TEXT, muc_do SMALLINT,
    kenh_thuc_hien SMALLINT, ngay_tiep_nhan TIMESTAMP, ngay_hen_tra TIMESTAMP, ngay_ket_thuc_xu_ly TIMESTAMP,
    ngay_tra TIMESTAMP, ngay_tu_choi TIMESTAMP, trang_thai_ho_so SMALLINT, don_vi_xu_ly TEXT,
    duoc_thanh_toan_truc_tuyen BOOLEAN, tong_phi_le_phi BIGINT)"""


def _stamp(values: np.ndarray, present: np.ndarray) -> pd.Series:
    text = pd.DatetimeIndex(values).strftime(TS_FORMAT).to_series(index=range(len(values)))
    return text.where(present, "")


def write_export(path: Path, n: int, unit_code: str = "10549", period: str = "2025-10", seed: int = 2025) -> dict:
    """Write N dossiers received in `period` as a CSV export (UTF-8 BOM, CRLF); return the counts written."""
    rng = np.random.default_rng(seed)
    first = np.datetime64(f"{period}-01T00:00:00")
    days = pd.Period(period).days_in_month
    received = (first + rng.integers(0, days, n).astype("timedelta64[D]")
                + (7 * 3600 + 1800 + rng.integers(0, 9 * 3600 + 1800, n)).astype("timedelta64[s]"))
    received.sort()
    day = received.astype("datetime64[D]")
    due = day + rng.integers(3, 16, n).astype("timedelta64[D]") + np.timedelta64(17, "h")
    ended = received + rng.integers(3600, 20 * 86400, n).astype("timedelta64[s]")
    handed = ended + rng.integers(0, 2 * 86400, n).astype("timedelta64[s]")
    status = rng.choice(list(STATUS_SHARES), n, p=list(STATUS_SHARES.values()))
    proc = rng.integers(0, len(PROCEDURES), n)
    fee = np.array([p[5] for p in PROCEDURES])[proc]
    channel = rng.choice([1, 2, 3], n, p=[0.55, 0.40, 0.05])
    paid_online = (fee > 0) & (rng.random(n) < 0.6)
    has_end = np.isin(status, [10, 9, 6])
    # A dossier's id is "<agency>.<unit>-<yymmdd>-<sequence of the day>".
    seq = pd.Series(day).groupby(day).cumcount().to_numpy() + 1
    ids = (f"000.00.{unit_code}-" + pd.DatetimeIndex(day).strftime("%y%m%d").to_series(index=range(n))
           + "-" + pd.Series(seq).map("{:06d}".format))
    frame = pd.DataFrame({
        "MaHoSo": ids,
        "MaTTHC": [PROCEDURES[i][0] for i in proc], "TenTTHC": [PROCEDURES[i][1] for i in proc],
        "MaLinhVuc": [PROCEDURES[i][2] for i in proc], "TenLinhVuc": [PROCEDURES[i][3] for i in proc],
        "MucDo": np.array([p[4] for p in PROCEDURES])[proc], "KenhThucHien": channel,
        "NgayTiepNhan": _stamp(received, np.ones(n, bool)), "NgayHenTra": _stamp(due, np.ones(n, bool)),
        "NgayKetThucXuLy": _stamp(ended, has_end), "NgayTra": _stamp(handed, status == 10),
        "NgayTuChoi": _stamp(ended, np.isin(status, [6, 7])), "TrangThaiHoSo": status,
        "DonViXuLy": "UBND phường Chu Văn An", "DuocThanhToanTrucTuyen": np.where(paid_online, "true", "false"),
        "TongPhiLePhi": fee,
    }, columns=FIELDS)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return {"records": n, "unit_code": unit_code, "period": period, "seed": seed}


def native_load(url: str, path: Path) -> int:
    """Load the export's rows into a plain table the engine's native way; return the rows loaded."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "postgresql":
        import psycopg

        with psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
                             dbname=parsed.database) as conn:
            conn.execute("SET datestyle = 'ISO, DMY'")
            conn.execute(PG_DDL)
            with conn.cursor().copy("COPY dossier_export FROM STDIN (FORMAT csv, HEADER true)") as copy, \
                    open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            return conn.execute("SELECT count(*) FROM dossier_export").fetchone()[0]
    conn = sqlite3.connect(parsed.database)
    try:
        with conn, open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            conn.execute(f"CREATE TABLE dossier_export ({', '.join(header)})")
            conn.executemany(f"INSERT INTO dossier_export VALUES ({', '.join('?' * len(header))})",
                             ([v if v != "" else None for v in row] for row in reader))
        return conn.execute("SELECT count(*) FROM dossier_export").fetchone()[0]
    finally:
        conn.close()
