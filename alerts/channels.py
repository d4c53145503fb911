"""Channels that deliver an `AlertMessage`: a generic JSON webhook and SMTP e-mail.

Channels get their URL and credentials as plain values (flows/settings.py reads them). A webhook URL
often *is* a secret (Slack, Google Chat, Teams and Zalo gateways put the token in it), so errors name
the host only; an SMTP password never appears in an error or a log line.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import urlsplit

import requests

from alerts.errors import AlertDeliveryError
from alerts.message import AlertMessage, format_text, subject, webhook_payload

_WEBHOOK_TARGETS: set[str] = set()  # request targets (path?query) of webhook URLs, which carry tokens


class _HideWebhookTargets(logging.Filter):
    """urllib3 logs each request line at DEBUG (`"POST /hooks/<token> HTTP/1.1" 500`): hide webhook paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _WEBHOOK_TARGETS and isinstance(record.args, tuple):
            record.args = tuple(_hide_targets(a) if isinstance(a, str) else a for a in record.args)
        return True


def _hide_targets(text: str) -> str:
    for target in sorted(_WEBHOOK_TARGETS, key=len, reverse=True):
        text = text.replace(target, "/…")
    return text


logging.getLogger("urllib3.connectionpool").addFilter(_HideWebhookTargets())


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


@dataclass(frozen=True)
class WebhookChannel:
    """POST the alert as JSON (``{"text": …, "title": …, "alert": {…}}``) to a chat webhook or gateway."""

    url: str = field(repr=False)
    timeout_seconds: float = 10.0
    name: str = "webhook"

    def send(self, message: AlertMessage) -> None:
        """Deliver one message.

        Raises:
            AlertDeliveryError: no connection, a timeout, or a non-2xx answer (names the host only).
        """
        where = _host_of(self.url)
        parts = urlsplit(self.url)
        targets = (parts.path + ("?" + parts.query if parts.query else ""), parts.path)
        _WEBHOOK_TARGETS.update(t for t in targets if t not in ("", "/"))
        try:
            response = requests.post(self.url, json=webhook_payload(message), timeout=self.timeout_seconds)
        except requests.RequestException as exc:
            raise AlertDeliveryError(f"webhook {where}: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise AlertDeliveryError(f"webhook {where}: answered HTTP {response.status_code}")


@dataclass(frozen=True)
class EmailChannel:
    """Send the alert by SMTP (STARTTLS when the server offers it or `security` says so).

    Attributes:
        security: ``starttls`` (required), ``ssl`` (implicit TLS, port 465), ``auto`` (STARTTLS when
            offered) or ``none``.
    """

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "auto"
    timeout_seconds: float = 15.0
    name: str = "email"

    def build(self, message: AlertMessage) -> EmailMessage:
        """The e-mail (plain text, UTF-8) for one message."""
        mail = EmailMessage()
        mail["Subject"] = subject(message)
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail.set_content(format_text(message))
        return mail

    def send(self, message: AlertMessage) -> None:
        """Deliver one message.

        Raises:
            AlertDeliveryError: the server cannot be reached, refuses the login or a recipient.
        """
        where = f"smtp {self.host}:{self.port}"
        try:
            if self.security == "ssl":
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_seconds,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds)
            with client:
                client.ehlo()
                if self.security == "starttls" or (self.security == "auto" and client.has_extn("starttls")):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(self.build(message))
        except smtplib.SMTPAuthenticationError:
            raise AlertDeliveryError(f"{where}: login refused for user {self.user!r}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise AlertDeliveryError(f"{where}: {type(exc).__name__}") from None


def send_all(message: AlertMessage, channels) -> dict[str, str | None]:
    """Send `message` on every channel; returns ``{channel name: None (accepted) | error sentence}``."""
    outcome = {}
    for channel in channels:
        try:
            channel.send(message)
            outcome[channel.name] = None
        except AlertDeliveryError as exc:
            outcome[channel.name] = str(exc)
        except (TypeError, ValueError) as exc:  # a message that cannot be encoded: told, and still owed
            outcome[channel.name] = f"{channel.name}: the message could not be encoded ({type(exc).__name__})"
    return outcome
