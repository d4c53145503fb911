"""Alerts: format a problem (or its fix) for people and deliver it by webhook or e-mail.

Pure: no prefect, no warehouse. Flows decide when to alert (the ``alerts`` table, kept by
``warehouse.alerts``, makes each problem announced once and its fix once) and hand plain values here.
"""

from alerts.channels import EmailChannel, WebhookChannel, send_all
from alerts.errors import AlertDeliveryError, AlertError
from alerts.message import AlertMessage, format_text, subject, webhook_payload

__all__ = ["AlertDeliveryError", "AlertError", "AlertMessage", "EmailChannel", "WebhookChannel", "format_text",
           "send_all", "subject", "webhook_payload"]
