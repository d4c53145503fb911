"""Settings: the ONE place that reads the environment.

Every other package receives plain values (URLs, paths, tokens) from here. Variables (all optional; see
`.env.example`):

- ``THIDUA_DATA_DIR``: working folder (default ``./data``).
- ``THIDUA_WAREHOUSE_URL``: SQLAlchemy URL of the warehouse (default: SQLite file
  ``$THIDUA_DATA_DIR/warehouse.sqlite``; production: ``postgresql+psycopg://user@host/db``).
- ``THIDUA_INBOX``: deliveries folder, laid out ``<unit>/<source>/<YYYY-MM>/<file>`` (default
  ``$THIDUA_DATA_DIR/inbox``).
- ``THIDUA_CATALOGUE``: target catalogue YAML (default ``catalogue/ke-hoach-2025-10549.yaml``), or a
  directory of plan YAMLs (``ke-hoach-<year>-<unit>.yaml``, one per ward): the city close closes every
  ward that has a plan there.
- ``THIDUA_CHUNK_UNITS`` (default 200): how many wards a city close handles per task (one file read, one
  validation run and one bulk load per source, period and chunk).
- ``THIDUA_UNIT``: default unit code (default ``10549``).
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

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CATALOGUE = REPO_ROOT / "catalogue" / "ke-hoach-2025-10549.yaml"


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
        env = os.environ if env is None else env
        data_dir = Path(env.get("THIDUA_DATA_DIR") or "data").resolve()
        return cls(
            data_dir=data_dir,
            warehouse_url=env.get("THIDUA_WAREHOUSE_URL") or f"sqlite:///{data_dir / 'warehouse.sqlite'}",
            inbox_dir=Path(env.get("THIDUA_INBOX") or data_dir / "inbox").resolve(),
            catalogue_path=Path(env.get("THIDUA_CATALOGUE") or DEFAULT_CATALOGUE).resolve(),
            unit_code=env.get("THIDUA_UNIT") or "10549",
            public_service_url=env.get("THIDUA_PUBLIC_SERVICE_URL") or None,
            public_service_token=env.get("THIDUA_PUBLIC_SERVICE_TOKEN") or None,
            alert_webhook_url=env.get("THIDUA_ALERT_WEBHOOK_URL") or None,
            smtp_host=env.get("THIDUA_SMTP_HOST") or None,
            smtp_port=int(env.get("THIDUA_SMTP_PORT") or 587),
            smtp_user=env.get("THIDUA_SMTP_USER") or None,
            smtp_password=env.get("THIDUA_SMTP_PASSWORD") or None,
            smtp_from=env.get("THIDUA_SMTP_FROM") or None,
            smtp_to=tuple(a.strip() for a in (env.get("THIDUA_SMTP_TO") or "").split(",") if a.strip()),
            smtp_security=(env.get("THIDUA_SMTP_SECURITY") or "auto").lower(),
            report_base_url=env.get("THIDUA_REPORT_BASE_URL") or None,
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


def _positive(env: Mapping[str, str], name: str, default: float, allow_zero: bool = False) -> float:
    """A number of seconds from the environment; a bad value is refused with one sentence."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 or (allow_zero and value == 0)):
        raise ValueError(f"{name}={text!r} is not a valid number of seconds; expected a number "
                         f"{'>= 0' if allow_zero else '> 0'}, e.g. {default:g}")
    return value


def _whole(env: Mapping[str, str], name: str, default: int, what: str, unit: str) -> int:
    """A whole number ≥ 1 from the environment (a count of wards, of pulls); a bad value is refused in one
    sentence."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name}={text!r} is not a valid {what}; expected a whole number of "
                         f"{unit} of at least 1, e.g. {default}")
    return int(text)


def _megabytes(env: Mapping[str, str], name: str, default: float) -> float:
    """A size limit in MB from the environment; a value that is not a positive number is refused."""
    text = (env.get(name) or "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ValueError(f"{name}={text!r} is not a size in MB; expected a number > 0, e.g. {default:g}")
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
        raise ValueError(f"{name}={text!r} is not a valid share; expected a number above 0 and at most 1 "
                         f"(or a percentage such as 50%), e.g. {default:g}")
    return value


def get_settings() -> Settings:
    """Settings read lazily from the environment at call time (never at import time)."""
    return Settings.from_env()
