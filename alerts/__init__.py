"""Alerts: tell people when a source fails, is late or is fixed (JSON webhook, SMTP). No prefect here."""
