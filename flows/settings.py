"""Settings: the ONE place that reads the environment.

Every other package receives plain values (URLs, paths, tokens) from here. Each value is checked when read:
a bad one raises `SettingsError`, one sentence naming the variable, the value's problem and an example (a
secret's value is never in it); the CLI prints it and exits 2. Variables (all optional; see `.env.example`):

- ``THIDUA_DATA_DIR``: working folder (default ``./data``).
- ``THIDUA_WAREHOUSE_URL``: SQLAlchemy URL of the warehouse (default: SQLite file
  ``$THIDUA_DATA_DIR/warehouse.sqlite``; production: ``postgresql://user@host/db``; ``postgresql://`` and
  ``postgres://`` mean psycopg 3, normalised to ``postgresql+psycopg://`` by `warehouse.db.normalise_url`).
- ``THIDUA_INBOX``: deliveries folder, laid out ``<unit>/<source>/<YYYY-MM>/<file>`` (default
  ``$THIDUA_DATA_DIR/inbox``).
- ``THIDUA_CATALOGUE``: target catalogue YAML (default ``catalogue/ke-hoach-2025-10549.yaml``), or a
  directory of plan YAMLs (``ke-hoach-<year>-<unit>.yaml``, one per ward): the city close closes every
  ward that has a plan there.
- ``THIDUA_CHUNK_UNITS`` (default 200): how many wards a city close handles per task (one file read, one
  validation run and one bulk load per source, period and chunk).
- ``THIDUA_UNIT``: default unit code (default ``10549``; digits only, like every unit code).
- ``THIDUA_PUBLIC_SERVICE_URL`` / ``THIDUA_PUBLIC_SERVICE_TOKEN``: the one-stop dossier API (secret token).
- ``THIDUA_ALERT_WEBHOOK_URL``: a JSON webhook for alerts (Slack/Google Chat/Teams/Zalo gateway; secret,
  the URL often carries the token).
- ``THIDUA_SMTP_HOST`` / ``THIDUA_SMTP_PORT`` (default 587) / ``THIDUA_SMTP_USER`` / ``THIDUA_SMTP_PASSWORD``
  (secret) / ``THIDUA_SMTP_FROM`` / ``THIDUA_SMTP_TO`` (comma-separated) / ``THIDUA_SMTP_SECURITY``
  (``auto`` default, ``starttls``, ``ssl``, ``none``): alert e-mail.
- ``THIDUA_HTTP_TIMEOUT_S`` (default 30): seconds an HTTP source may take to answer one call (connect and
  each read); a slower answer is a retriable timeout.
- ``THIDUA_HTTP_BACKOFF_S`` (default 1): the client's first wait before retrying a failed call (doubles each
  time; a server's ``Retry-After`` takes precedence).
- ``THIDUA_HTTP_MAX_ANSWER_MB`` (default 64): the largest API answer (one page) read, in MiB once
  decompressed; a larger one (a gzip bomb, a runaway page) is refused after that much, the rest unread.
- ``THIDUA_DOSSIER_DROP_SHARE`` (default 0.5): a dossier delivery that would take its month from N dossiers
  to none, or down by more than this share of N, is held as suspicious (quarantined, alerted; the month in
  force stays) until confirmed with ``thidua ingest … --confirm-drop`` (or ``thidua run … --confirm-drop``
  for the API). A number above 0 and at most 1 (1: hold only a drop to none).
- ``THIDUA_MAX_FILE_MB`` (default 50): the largest delivered file accepted, in MB; a larger one is quarantined
  by its size, unread (a ward's monthly workbook is well under 1 MB).
- ``THIDUA_REPORT_BASE_URL``: where ``$THIDUA_DATA_DIR/reports`` is published (links in alerts); default
  ``file://`` links.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CATALOGUE = REPO_ROOT / "catalogue" / "ke-hoach-2025-10549.yaml"
# A GSO unit code: digits only (a province has 2, a ward 5). Checked before a code becomes part of a path.
UNIT_CODE_RE = re.compile(r"^[0-9]{1,10}$")
PLAN_FILE_RE = re.compile(r"^ke-hoach-(\d{4})-([0-9]{1,10})\.ya?ml$")
SMTP_SECURITY = ("auto", "starttls", "ssl", "none")


class SettingsError(ValueError):
    """A setting (an environment variable, or a unit code given on the command line or as a deployment
    parameter) that thidua cannot use: one sentence naming it, what is wrong and an example."""


def check_unit_code(value, name: str = "--unit") -> str:
    """A unit code's form (digits only), checked before the code is used in any path; returns it as text.

    Raises:
        SettingsError: naming ``name`` (``--unit``, ``THIDUA_UNIT``, ``unit_code``…) and the value.
    """
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    if not UNIT_CODE_RE.match(text):
        raise SettingsError(f"{name} {str(value)!r} is not a unit code; expected the unit's GSO code, digits only, "
                            "e.g. 10549")
    return text


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of one process (secrets excluded from repr)."""

    data_dir: Path
    warehouse_url: str
    inbox_dir: Path
    catalogue_path: Path
    unit_code: str
    public_service_url: str | None
    public_service_token: str | None = field(default=None, repr=False)
    alert_webhook_url: str | None = field(default=None, repr=False)
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str | None = None
    smtp_to: tuple[str, ...] = ()
    smtp_security: str = "auto"
    report_base_url: str | None = None
    max_file_mb: float = 50.0
    chunk_units: int = 200
    api_threads: int = 8
    http_timeout_s: float = 30.0
    http_backoff_s: float = 1.0
    http_max_answer_mb: float = 64.0
    dossier_drop_share: float = 0.5

    @property
    def quarantine_dir(self) -> Path:
        """Where rejected delivery files are kept: ``<data>/quarantine/<unit>/<source>/<period>/``."""
        return self.data_dir / "quarantine"

    @property
    def processed_dir(self) -> Path:
        """Where loaded delivery files are moved: ``<data>/processed/<unit>/<source>/<period>/``."""
        return self.data_dir / "processed"

    @property
    def reports_dir(self) -> Path:
        """Where HTML reports are written (validation reports under ``validation/``)."""
        return self.data_dir / "reports"

    @property
    def max_file_bytes(self) -> int:
        """The largest delivered file accepted, in bytes (THIDUA_MAX_FILE_MB)."""
        return int(self.max_file_mb * 1024 * 1024)

    def alert_channels(self) -> list:
        """The configured alert channels (`alerts.WebhookChannel`, `alerts.EmailChannel`); may be empty."""
        from alerts import EmailChannel, WebhookChannel

        channels: list = []
        if self.alert_webhook_url:
            channels.append(WebhookChannel(self.alert_webhook_url))
        if self.smtp_host and self.smtp_to:
            channels.append(EmailChannel(self.smtp_host, self.smtp_port, self.smtp_from or "thidua@localhost",
                                         self.smtp_to, self.smtp_user, self.smtp_password, self.smtp_security))
        return channels

    def report_link(self, path: Path) -> str:
        """The link to a report file under `reports_dir`, for people (file URI unless a base URL is set)."""
        if self.report_base_url:
            relative = path.resolve().relative_to(self.reports_dir.resolve()).as_posix()
            return self.report_base_url.rstrip("/") + "/" + relative
        return path.resolve().as_uri()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Every setting read and checked; the first bad one raises `SettingsError` (one sentence naming the
        variable, the value's problem and an example). The catalogue's existence is checked by `check`."""
        env = os.environ if env is None else env
        data_dir = _folder(env, "THIDUA_DATA_DIR", Path("data"))
        return cls(
            data_dir=data_dir,
            warehouse_url=_warehouse_url(env, data_dir),
            inbox_dir=_folder(env, "THIDUA_INBOX", data_dir / "inbox"),
            catalogue_path=Path(os.path.expanduser(_text(env, "THIDUA_CATALOGUE") or DEFAULT_CATALOGUE)).resolve(),
            unit_code=check_unit_code(_text(env, "THIDUA_UNIT") or "10549", "THIDUA_UNIT"),
            public_service_url=_http_url(env, "THIDUA_PUBLIC_SERVICE_URL", "http://127.0.0.1:8765"),
            public_service_token=env.get("THIDUA_PUBLIC_SERVICE_TOKEN") or None,
            alert_webhook_url=_http_url(env, "THIDUA_ALERT_WEBHOOK_URL", "https://chat.example.org/hooks/…",
                                        secret=True),
            smtp_host=_text(env, "THIDUA_SMTP_HOST") or None,
            smtp_port=_port(env, "THIDUA_SMTP_PORT", 587),
            smtp_user=env.get("THIDUA_SMTP_USER") or None,
            smtp_password=env.get("THIDUA_SMTP_PASSWORD") or None,
            smtp_from=_text(env, "THIDUA_SMTP_FROM") or None,
            smtp_to=_addresses(env, "THIDUA_SMTP_TO"),
            smtp_security=_choice(env, "THIDUA_SMTP_SECURITY", SMTP_SECURITY),
            report_base_url=_http_url(env, "THIDUA_REPORT_BASE_URL", "https://thidua.example.org/reports",
                                      schemes=("http", "https", "file")),
            max_file_mb=_megabytes(env, "THIDUA_MAX_FILE_MB", 50.0),
            chunk_units=_whole(env, "THIDUA_CHUNK_UNITS", 200, "chunk size", "wards"),
            api_threads=_whole(env, "THIDUA_API_THREADS", 8, "number of concurrent API pulls", "pulls"),
            http_timeout_s=_positive(env, "THIDUA_HTTP_TIMEOUT_S", 30.0),
            http_backoff_s=_positive(env, "THIDUA_HTTP_BACKOFF_S", 1.0, allow_zero=True),
            http_max_answer_mb=_megabytes(env, "THIDUA_HTTP_MAX_ANSWER_MB", 64.0),
            dossier_drop_share=_share(env, "THIDUA_DOSSIER_DROP_SHARE", 0.5),
        )

    def with_overrides(self, **changes) -> Settings:
        """A copy with some values replaced (used by tests and the demo)."""
        return replace(self, **changes)

    def check(self) -> Settings:
        """What `from_env` cannot judge from the text alone: the catalogue exists (a plan file with a plan
        header, or a folder of ``ke-hoach-<year>-<unit>.yaml``). Returns self.

        Raises:
            SettingsError: naming THIDUA_CATALOGUE and the path.
        """
        path = self.catalogue_path
        if path.is_file():
            if not plan_years_by_unit(path):  # not even a plan header: the full reading says what is wrong
                from warehouse.catalogue import read_catalogue

                read_catalogue(path)  # raises CatalogueError naming the field
                raise SettingsError(f"THIDUA_CATALOGUE={str(path)!r} has no plan.unit_code and plan.year")
            return self
        example = f"e.g. {DEFAULT_CATALOGUE.relative_to(REPO_ROOT)} or the folder catalogue/"
        if path.is_dir():  # may still be empty: `thidua plan import` writes the first plan into it
            return self
        raise SettingsError(f"THIDUA_CATALOGUE={str(path)!r} does not exist; expected a plan file (YAML) or a "
                            f"folder of plans, {example}")

    def plan_years(self, unit: str) -> list[int]:
        """The years the catalogue has a plan for, for `unit` (sorted; empty when it has none)."""
        return sorted(plan_years_by_unit(self.catalogue_path).get(str(unit), ()))

    def plan_file(self, unit: str, year: int) -> Path:
        """The plan a close of `unit` in `year` reads: THIDUA_CATALOGUE itself when it is a file; in a folder of
        plans, ``ke-hoach-<year>-<unit>.yaml``, or for a baseline year (loaded, not judged) the next year's.

        Raises:
            SettingsError: the folder holds neither (the sentence names the command that adds the plan).
        """
        path = self.catalogue_path
        if not path.is_dir():
            return path
        for plan_year in (year, year + 1):
            for suffix in (".yaml", ".yml"):
                candidate = path / f"ke-hoach-{plan_year}-{unit}{suffix}"
                if candidate.is_file():
                    return candidate
        raise SettingsError(f"THIDUA_CATALOGUE={str(path)!r} has no plan ke-hoach-{year}-{unit}.yaml for unit {unit} "
                            f"in {year}; add it with `thidua plan import FILE --unit {unit} --year {year} "
                            f"--out {path}/ke-hoach-{year}-{unit}.yaml`")

    def check_unit(self, value=None, name: str = "--unit") -> str:
        """A unit code given by the user (default: THIDUA_UNIT): digits only, and a unit with a plan in the
        catalogue. Returns the code as text.

        Raises:
            SettingsError: the code's form is wrong (nothing is built from it), or the catalogue has no plan
                for it (the sentence names the units it has).
        """
        if value is None or (isinstance(value, str) and not value.strip()):
            value, name = self.unit_code, "THIDUA_UNIT"
        return self.check_units([value], name)[0]

    def check_units(self, values, name: str = "--units") -> list[str]:
        """`check_unit` for several codes (the catalogue is listed once)."""
        codes = [check_unit_code(value, name) for value in values]
        units = plan_years_by_unit(self.catalogue_path)
        for code in codes:
            if units and code not in units:
                known = sorted(units)
                shown = ", ".join(known[:8]) + (f" … ({len(known)} units)" if len(known) > 8 else "")
                raise SettingsError(f"{name} {code} is not a unit of the catalogue {self.catalogue_path} (it has "
                                    f"plans for {shown}); check the code, or add the unit's plan with "
                                    "`thidua plan import`")
        return codes


def plan_years_by_unit(catalogue_path: Path) -> dict[str, set[int]]:
    """``{unit_code: {year, …}}`` of the plans in a catalogue (a plan file, or a folder of
    ``ke-hoach-<year>-<unit>.yaml``; a plan file named otherwise is read for its header). Empty when the
    path holds no readable plan. Cached per file version."""
    path = Path(catalogue_path)
    try:
        if path.is_file():
            return _plan_header(path, path.stat().st_mtime_ns)
        if not path.is_dir():
            return {}
        found: dict[str, set[int]] = {}
        for child in sorted(path.iterdir()):
            if not child.name.startswith("ke-hoach-") or child.suffix not in (".yaml", ".yml"):
                continue
            named = PLAN_FILE_RE.match(child.name)
            plans = ({named.group(2): {int(named.group(1))}} if named
                     else _plan_header(child, child.stat().st_mtime_ns))
            for unit, years in plans.items():
                found.setdefault(unit, set()).update(years)
        return found
    except OSError:
        return {}


@lru_cache(maxsize=64)
def _plan_header(path: Path, _version: int) -> dict[str, set[int]]:
    """The unit and year of one plan file (``plan.unit_code``, ``plan.year``); empty when unreadable (the
    close then says what is wrong with the file, naming the field)."""
    import yaml

    try:
        doc = yaml.load(path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        plan = doc.get("plan") if isinstance(doc, dict) else None
        return {str(plan["unit_code"]): {int(plan["year"])}}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError, KeyError, ValueError, AttributeError):
        return {}


def _text(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def _folder(env: Mapping[str, str], name: str, default: Path) -> Path:
    """A folder setting: a path that is not an existing file (it is created when needed)."""
    text = _text(env, name)
    path = Path(os.path.expanduser(text) if text else default).resolve()
    if path.exists() and not path.is_dir():
        raise SettingsError(f"{name}={text!r} is a file, not a folder; expected a folder, e.g. {default}")
    return path


def _warehouse_url(env: Mapping[str, str], data_dir: Path) -> str:
    """THIDUA_WAREHOUSE_URL checked and normalised (``postgresql://`` and ``postgres://`` mean psycopg 3)."""
    from warehouse.db import WarehouseUrlError, normalise_url

    text = _text(env, "THIDUA_WAREHOUSE_URL")
    if not text:
        return f"sqlite:///{data_dir / 'warehouse.sqlite'}"
    try:
        return normalise_url(text).render_as_string(hide_password=False)
    except WarehouseUrlError as exc:
        shown = _safe_url_text(text)
        hint = (f"e.g. sqlite:///{Path(text).expanduser().resolve()}" if "://" not in text
                else "e.g. postgresql://thidua@127.0.0.1/thidua")
        raise SettingsError(f"THIDUA_WAREHOUSE_URL={shown} {exc}; {hint}") from None


def _safe_url_text(text: str) -> str:
    """A URL as it may be printed: its password (user:password@) replaced by ***."""
    return repr(re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", text))


def _http_url(env: Mapping[str, str], name: str, example: str, *, secret: bool = False,
              schemes: tuple[str, ...] = ("http", "https")) -> str | None:
    """An optional URL (http/https unless said otherwise); a secret one is never echoed."""
    text = _text(env, name)
    if not text:
        return None
    try:
        parts = urlsplit(text)
        ok = parts.scheme.lower() in schemes and (bool(parts.hostname) or parts.scheme.lower() == "file")
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        ok = False
    if not ok:
        shown = f"{name} (value not shown: it may hold a token)" if secret else f"{name}={text!r}"
        raise SettingsError(f"{shown} is not a {'/'.join(schemes)} URL; expected e.g. {example}")
    return text


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    text = _text(env, name)
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise SettingsError(f"{name}={text!r} is not a port number; expected a whole number from 1 to 65535, "
                            f"e.g. {default} (465 for SSL)")
    return int(text)


def _addresses(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    addresses = tuple(a.strip() for a in _text(env, name).split(",") if a.strip())
    for address in addresses:
        if "@" not in address or any(c.isspace() for c in address):
            raise SettingsError(f"{name} holds {address!r}, which is not an e-mail address; expected addresses "
                                "separated by commas, e.g. vanphong@example.gov.vn,chutich@example.gov.vn")
    return addresses


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    text = _text(env, name).lower() or choices[0]
    if text not in choices:
        raise SettingsError(f"{name}={text!r} is not one of {', '.join(choices)}; e.g. {choices[0]}")
    return text


def _positive(env: Mapping[str, str], name: str, default: float, allow_zero: bool = False) -> float:
    """A number of seconds from the environment; a bad value is refused with one sentence."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 or (allow_zero and value == 0)) or not math.isfinite(value):
        raise SettingsError(f"{name}={text!r} is not a valid number of seconds; expected a number "
                            f"{'>= 0' if allow_zero else '> 0'}, e.g. {default:g}")
    return value


def _whole(env: Mapping[str, str], name: str, default: int, what: str, unit: str) -> int:
    """A whole number ≥ 1 from the environment (a count of wards, of pulls); a bad value is refused in one
    sentence."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name}={text!r} is not a valid {what}; expected a whole number of "
                            f"{unit} of at least 1, e.g. {default}")
    return int(text)


def _megabytes(env: Mapping[str, str], name: str, default: float) -> float:
    """A size limit in MB from the environment; a value that is not a positive number is refused."""
    text = (env.get(name) or "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        value = -1.0
    if not value > 0 or not math.isfinite(value):
        raise SettingsError(f"{name}={text!r} is not a size in MB; expected a number > 0, e.g. {default:g}")
    return value


def _share(env: Mapping[str, str], name: str, default: float) -> float:
    """A share (0 < share <= 1) from the environment; a bad value is refused in one sentence."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 1:
        raise SettingsError(f"{name}={text!r} is not a valid share; expected a number above 0 and at most 1 "
                            f"(or a percentage such as 50%), e.g. {default:g}")
    return value


def get_settings() -> Settings:
    """Settings read lazily from the environment at call time (never at import time)."""
    return Settings.from_env()
