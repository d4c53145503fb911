"""Stand-in for the province's one-stop dossier API (contract: source-formats.md, last section).

Serves the dossiers of ``samples`` (``public_service/dossiers.json``) over loopback HTTP, stdlib only:

    GET /api/v1/ho-so?ma_don_vi=10549&tu_ngay=01/10/2025&den_ngay=31/10/2025&trang=1&so_ban_ghi=500
        &loc_theo=tiep_nhan|ket_thuc            (default tiep_nhan)
    Authorization: Bearer <token>

-> ``{"tong_so": N, "trang": p, "so_ban_ghi": k, "du_lieu": [...]}``; records sorted by the filtered
date then ``MaHoSo``; an empty month is ``tong_so: 0``. ``401`` (JSON error) on a missing or wrong
token, ``400`` on bad parameters, ``404`` on other paths. A unit the server holds no data for gets an
empty result.

``server.misbehave`` (a :class:`Misbehaviour`) lets a test make the server act like real ones: fail
the next requests with 429 (+ ``Retry-After``) or 5xx, answer slowly (``slow_next``), cut connections
with a TCP reset (``reset_next``) or in the middle of the answer's body (``cut_next``), repeat a record
across pages, or cut a page short; or break the paging contract: report a total that shrinks after page 1
(``shrink_next``), a total off by some dossiers (``total_offset``), ignore the page number
(``ignore_page``), or answer with a gzip bomb (``bomb_next``). The token is never logged.

The store is ``dossiers.json`` (one unit, loaded once) or, for a path ending in ``.sqlite``, the
many-unit SQLite store of ``samples.city`` (queried per request, nothing loaded in memory).

CLI: ``python -m standin.public_service --data PATH --host 127.0.0.1 --port 8765 --token TOKEN``
(``--dossiers`` is the same option).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hmac
import json
import socket
import sqlite3
import struct
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

API_PATH = "/api/v1/ho-so"
MAX_PAGE_SIZE = 1000
FILTER_FIELDS = {"tiep_nhan": "NgayTiepNhan", "ket_thuc": "NgayKetThucXuLy"}


@dataclass
class Misbehaviour:
    """Faults to inject, settable while the server runs (thread-safe through ``lock``).

    Attributes:
        fail_statuses: statuses answered to the next requests, one per request, in order
            (e.g. ``[429, 500]``); consumed as used.
        retry_after: value of ``Retry-After`` (seconds) on a 429/503.
        delay_seconds: sleep before answering every request (simulates a slow server / timeouts).
        duplicate_across_pages: page p > 1 starts with the last record of page p - 1 again.
        short_page: page 1 holds one record fewer than ``so_ban_ghi`` (before the last page), the
            record shifting to page 2 (so paging by ``tong_so`` still covers all records).
        requests_seen: count of API requests received, whatever their answer (401s, resets and cuts too).
        cuts_pending: the next answers with a body are cut after ``cut_after_bytes`` bytes of it (the
            headers announce the full length), then the connection is reset.
        shrink_pending: the next answers of a page after the first report half the true ``tong_so`` (one
            answer per count): a total that changes during a pull.
        total_offset: added to every ``tong_so`` (a server whose total does not count its records).
        ignore_page: every page answers page 1's records (echoing the ``trang`` asked for).
        bombs_pending: the next successful answers are gzip bombs: the page's JSON, then ``bomb_mib`` MiB of
            spaces, compressed (about 1 KiB per MiB on the wire), ``Content-Encoding: gzip``.
    """

    fail_statuses: list[int] = field(default_factory=list)
    retry_after: int = 1
    delay_seconds: float = 0.0
    duplicate_across_pages: bool = False
    short_page: bool = False
    requests_seen: int = 0
    resets_pending: int = 0
    cuts_pending: int = 0
    cut_after_bytes: int = 0
    slow_pending: list[float] = field(default_factory=list)
    shrink_pending: int = 0
    total_offset: int = 0
    ignore_page: bool = False
    bombs_pending: int = 0
    bomb_mib: int = 64
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail_next(self, n: int = 1, status: int = 429) -> None:
        """Answer the next ``n`` requests with ``status``."""
        with self.lock:
            self.fail_statuses.extend([status] * n)

    def reset_next(self, n: int = 1) -> None:
        """Cut the next ``n`` connections with a TCP reset, without any answer."""
        with self.lock:
            self.resets_pending += n

    def cut_next(self, n: int = 1, after_bytes: int = 200) -> None:
        """Cut the next ``n`` successful answers after ``after_bytes`` bytes of their body (a TCP reset)."""
        with self.lock:
            self.cuts_pending += n
            self.cut_after_bytes = after_bytes

    def _take_cut(self) -> int | None:
        with self.lock:
            if self.cuts_pending:
                self.cuts_pending -= 1
                return self.cut_after_bytes
            return None

    def shrink_next(self, n: int = 1) -> None:
        """The next ``n`` answers of a page after the first report half the true ``tong_so``."""
        with self.lock:
            self.shrink_pending += n

    def bomb_next(self, n: int = 1, inflated_mib: int = 64) -> None:
        """Answer the next ``n`` successful requests with a gzip bomb inflating to ``inflated_mib`` MiB."""
        with self.lock:
            self.bombs_pending += n
            self.bomb_mib = inflated_mib

    def _take_shrink(self) -> bool:
        with self.lock:
            if self.shrink_pending:
                self.shrink_pending -= 1
                return True
            return False

    def _take_bomb(self) -> int | None:
        with self.lock:
            if self.bombs_pending:
                self.bombs_pending -= 1
                return self.bomb_mib
            return None

    def _count(self) -> None:
        with self.lock:
            self.requests_seen += 1

    def slow_next(self, n: int = 1, seconds: float = 2.0) -> None:
        """Answer the next ``n`` requests only after ``seconds`` (a client timeout shorter than that fires)."""
        with self.lock:
            self.slow_pending.extend([seconds] * n)

    def _take_reset(self) -> bool:
        with self.lock:
            if self.resets_pending:
                self.resets_pending -= 1
                return True
            return False

    def _take_delay(self) -> float:
        with self.lock:
            return self.slow_pending.pop(0) if self.slow_pending else self.delay_seconds

    def reset(self) -> None:
        """Behave again: no pending failures, resets or delays."""
        with self.lock:
            self.resets_pending = 0
            self.cuts_pending = 0
            self.slow_pending.clear()
            self.fail_statuses.clear()
            self.delay_seconds = 0.0
            self.duplicate_across_pages = False
            self.short_page = False
            self.retry_after = 1
            self.shrink_pending = 0
            self.total_offset = 0
            self.ignore_page = False
            self.bombs_pending = 0

    def _take_failure(self) -> int | None:
        with self.lock:
            return self.fail_statuses.pop(0) if self.fail_statuses else None


def _parse_ts(s: str | None) -> dt.date | None:
    return dt.datetime.strptime(s, "%d/%m/%Y %H:%M:%S").date() if s else None


class DossierStore:
    """The dossiers loaded once, with their receipt / finish dates parsed for filtering."""

    def __init__(self, records: list[dict], unit_code: str | None):
        self.records = records
        self.unit_code = unit_code
        self.index = {
            key: sorted(((_parse_ts(r.get(fld)), r.get("MaHoSo") or "", i) for i, r in enumerate(records)
                         if r.get(fld)), key=lambda t: (t[0], t[1]))
            for key, fld in FILTER_FIELDS.items()
        }

    @classmethod
    def from_path(cls, path: Path) -> DossierStore:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        records = data["du_lieu"] if isinstance(data, dict) else data
        unit = data.get("ma_don_vi") if isinstance(data, dict) else None
        if unit is None and records:
            # MaHoSo is "000.00.<unit>-YYMMDD-NNNN"
            unit = records[0]["MaHoSo"].split("-")[0].split(".")[-1]
        return cls(records, unit)

    def select(self, unit: str, start: dt.date, end: dt.date, by: str) -> list[dict]:
        if self.unit_code is not None and unit != self.unit_code:
            return []
        return [self.records[i] for d, _, i in self.index[by] if start <= d <= end]

    def count(self, unit: str, start: dt.date, end: dt.date, by: str) -> int:
        """How many dossiers of ``unit`` have their ``by`` date in ``start`` .. ``end``."""
        return len(self.select(unit, start, end, by))

    def page(self, unit: str, start: dt.date, end: dt.date, by: str, lo: int, hi: int) -> list[dict]:
        """Records ``lo`` .. ``hi`` (exclusive) of that selection, sorted by the date then MaHoSo."""
        return self.select(unit, start, end, by)[lo:hi]


class SqliteDossierStore:
    """Many units' dossiers in the SQLite store written by samples/city.py, queried per request.

    Nothing is held in memory: each request counts and pages with SQL over the indexes on (unit, receipt
    date, MaHoSo) and (unit, finish date, MaHoSo). Timestamps are stored as ISO text and served as
    ``dd/MM/yyyy HH:mm:ss``. sqlite3 connections may not cross threads: one read-only connection per
    server thread.
    """

    _COLUMNS = {"tiep_nhan": "tiep_nhan", "ket_thuc": "ket_thuc"}   # loc_theo -> timestamp column

    def __init__(self, path: Path):
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise FileNotFoundError(f"dossier store {self.path} does not exist")
        self._uri = f"{self.path.as_uri()}?mode=ro"
        self._local = threading.local()
        tables = {r[0] for r in self._con().execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"dossiers", "procedures", "units"} <= tables:
            raise ValueError(f"dossier store {self.path}: found tables {sorted(tables)}, expected dossiers, "
                             "procedures and units (written by samples.city)")

    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = sqlite3.connect(self._uri, uri=True)
        return con

    def _where(self, by: str) -> str:
        col = self._COLUMNS[by]
        return f"d.unit_code = ? AND substr(d.{col}, 1, 10) BETWEEN ? AND ?"

    def count(self, unit: str, start: dt.date, end: dt.date, by: str) -> int:
        """How many dossiers of ``unit`` have their ``by`` date in ``start`` .. ``end``."""
        sql = f"SELECT count(*) FROM dossiers d WHERE {self._where(by)}"
        return self._con().execute(sql, (unit, start.isoformat(), end.isoformat())).fetchone()[0]

    def page(self, unit: str, start: dt.date, end: dt.date, by: str, lo: int, hi: int) -> list[dict]:
        """Records ``lo`` .. ``hi`` (exclusive) of that selection, sorted by the date then MaHoSo."""
        col = self._COLUMNS[by]
        sql = ("SELECT d.ma_ho_so, d.ma_tthc, p.ten_tthc, p.ma_linh_vuc, p.ten_linh_vuc, p.muc_do, "
               "d.kenh_thuc_hien, d.tiep_nhan, d.hen_tra, d.ket_thuc, d.tra, d.tu_choi, d.trang_thai, "
               "u.don_vi_xu_ly, d.tt_truc_tuyen, d.le_phi_gia, p.ten_phi_le_phi, d.le_phi_hinh_thuc "
               "FROM dossiers d JOIN procedures p ON p.ma_tthc = d.ma_tthc "
               "JOIN units u ON u.unit_code = d.unit_code "
               f"WHERE {self._where(by)} ORDER BY substr(d.{col}, 1, 10), d.ma_ho_so LIMIT ? OFFSET ?")
        rows = self._con().execute(sql, (unit, start.isoformat(), end.isoformat(), max(hi - lo, 0), lo))
        return [self._record(r) for r in rows]

    @staticmethod
    def _record(r: tuple) -> dict:
        code, tthc, name, field_code, field_name, level, channel, rec, due, end, handed, refused, status, \
            office, paid, fee, fee_name, method = r
        fees = [] if fee is None else [{"MaPhiLePhi": f"LP.{tthc}", "TenPhiLePhi": fee_name, "Gia": fee,
                                        "HinhThucThu": method}]
        return {"MaHoSo": code, "MaTTHC": tthc, "TenTTHC": name, "MaLinhVuc": field_code, "TenLinhVuc": field_name,
                "MucDo": level, "KenhThucHien": channel, "NgayTiepNhan": _served(rec), "NgayHenTra": _served(due),
                "NgayKetThucXuLy": _served(end), "NgayTra": _served(handed), "NgayTuChoi": _served(refused),
                "TrangThaiHoSo": status, "DonViXuLy": office, "DuocThanhToanTrucTuyen": bool(paid),
                "DanhSachLePhi": fees}


def _served(iso: str | None) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` -> ``dd/MM/yyyy HH:mm:ss`` (the API's local timestamps)."""
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]} {iso[11:19]}" if iso else None


def open_store(path: Path) -> DossierStore | SqliteDossierStore:
    """The store for ``path``: SQLite (samples/city.py, many units) for ``.sqlite``, else dossiers.json."""
    path = Path(path)
    return SqliteDossierStore(path) if path.suffix == ".sqlite" else DossierStore.from_path(path)


class _Handler(BaseHTTPRequestHandler):
    server: StandinServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        if self.server.verbose:   # request line only: the token travels in a header, never logged
            sys.stderr.write(f"standin {self.address_string()} {format % args}\n")

    def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, code: str, message: str, headers: dict | None = None) -> None:
        self._send(status, {"loi": {"ma": code, "thong_bao": message}}, headers)

    def do_GET(self):  # noqa: N802 - stdlib name
        url = urlsplit(self.path)
        if url.path.rstrip("/") != API_PATH:
            return self._error(404, "khong_tim_thay", f"Không có tài nguyên {url.path}")
        mis = self.server.misbehave
        mis._count()
        if mis._take_reset():
            return self._abort()
        delay = mis._take_delay()
        if delay:
            time.sleep(delay)
        auth = self.headers.get("Authorization", "")
        expected = f"Bearer {self.server.token}"
        if not hmac.compare_digest(auth.encode(), expected.encode()):
            return self._error(401, "khong_xac_thuc", "Thiếu hoặc sai mã truy cập (Bearer token)",
                               {"WWW-Authenticate": 'Bearer realm="ho-so"'})
        failure = mis._take_failure()
        if failure is not None:
            headers = {"Retry-After": str(mis.retry_after)} if failure in (429, 503) else None
            return self._error(failure, "tam_thoi", "Lỗi giả lập của máy chủ thay thế", headers)
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            unit = q["ma_don_vi"].strip()
            start = dt.datetime.strptime(q["tu_ngay"], "%d/%m/%Y").date()
            end = dt.datetime.strptime(q["den_ngay"], "%d/%m/%Y").date()
            page = int(q.get("trang", "1"))
            size = int(q.get("so_ban_ghi", "500"))
            by = q.get("loc_theo", "tiep_nhan")
        except (KeyError, ValueError) as exc:
            return self._error(400, "tham_so_sai", f"Tham số không hợp lệ: {exc}")
        if not unit or page < 1 or not 1 <= size <= MAX_PAGE_SIZE or by not in FILTER_FIELDS or end < start:
            return self._error(400, "tham_so_sai", "Tham số không hợp lệ: ma_don_vi, trang >= 1, "
                                                  f"1 <= so_ban_ghi <= {MAX_PAGE_SIZE}, loc_theo "
                                                  "tiep_nhan|ket_thuc, tu_ngay <= den_ngay")
        store = self.server.store
        total = store.count(unit, start, end, by)
        served = 1 if mis.ignore_page else page
        lo, hi = (served - 1) * size, served * size
        if mis.short_page and total > size:
            # page 1 is one short; every later page starts one record earlier
            lo, hi = (0, size - 1) if page == 1 else (lo - 1, hi - 1)
        # a repeated record: page p > 1 starts with the last record of page p - 1 again
        first = lo - 1 if mis.duplicate_across_pages and page > 1 and 0 < lo <= total else max(lo, 0)
        chunk = store.page(unit, start, end, by, first, hi) if first < min(hi, total) else []
        reported = total + mis.total_offset
        if page > 1 and mis._take_shrink():
            reported = total // 2
        body = {"tong_so": reported, "trang": page, "so_ban_ghi": size, "du_lieu": chunk}
        bomb = mis._take_bomb()
        if bomb is not None:
            return self._send_bomb(body, bomb)
        cut = mis._take_cut()
        if cut is not None:
            payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload[:min(cut, len(payload) - 1)])
            self.wfile.flush()
            return self._abort()
        return self._send(200, body)

    def _send_bomb(self, body: dict, mib: int) -> None:
        """The page's JSON followed by ``mib`` MiB of spaces (valid JSON), gzip-compressed: each MiB deflated
        once after a full flush, so the same ~1 KiB block repeats on the wire."""
        text = json.dumps(body, ensure_ascii=False).encode("utf-8")
        prefix, suffix = text[:-1], text[-1:]
        mib_of_spaces = b" " * (1 << 20)
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
        block = c.compress(mib_of_spaces) + c.flush(zlib.Z_FULL_FLUSH)
        tail = c.compress(suffix) + c.flush()
        crc = zlib.crc32(prefix)
        for _ in range(mib):
            crc = zlib.crc32(mib_of_spaces, crc)
        crc = zlib.crc32(suffix, crc)
        size = len(prefix) + mib * len(mib_of_spaces) + len(suffix)
        payload = (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + head + block * mib + tail
                   + struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")  # a client stopping at its cap drops the connection
        self.end_headers()
        self.close_connection = True
        try:
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading at its cap

    def _abort(self) -> None:
        """End the connection with a TCP reset (SO_LINGER 0 makes close() abort it), answer or not."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


class StandinServer(ThreadingHTTPServer):
    """ThreadingHTTPServer holding the dossier store, the token and the misbehaviour switchboard."""

    daemon_threads = True

    def __init__(self, address, store: DossierStore | SqliteDossierStore, token: str, verbose: bool = False):
        super().__init__(address, _Handler)
        self.store = store
        self.token = token
        self.verbose = verbose
        self.misbehave = Misbehaviour()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def serve(dossiers_path: Path, host: str = "127.0.0.1", port: int = 0, token: str = "standin-token",
          verbose: bool = False) -> tuple[StandinServer, threading.Thread]:
    """Start the stand-in in a daemon thread; ``port=0`` picks a free port (see ``server.base_url``).

    Stop it with ``server.shutdown(); server.server_close()``.
    """
    if not token:
        raise ValueError("token must not be empty")
    store = open_store(Path(dossiers_path))
    server = StandinServer((host, port), store, token, verbose=verbose)
    thread = threading.Thread(target=server.serve_forever, name="standin-public-service", daemon=True)
    thread.start()
    return server, thread


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: serve ``--data`` on ``--host:--port`` until interrupted; prints the API URL."""
    ap = argparse.ArgumentParser(prog="python -m standin.public_service",
                                 description="Stand-in public-service (hồ sơ TTHC) API on loopback.")
    ap.add_argument("--data", "--dossiers", dest="data", required=True, type=Path,
                    help="dossiers.json (samples.generate) or dossiers.sqlite (samples.city, many units)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--token", required=True, help="bearer token clients must send")
    ap.add_argument("--verbose", action="store_true", help="log request lines to stderr")
    args = ap.parse_args(argv)
    server, thread = serve(args.data, args.host, args.port, args.token, verbose=args.verbose)
    print(f"{server.base_url}{API_PATH}", flush=True)
    try:
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
