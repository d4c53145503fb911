"""Errors raised by the alert channels (never carrying a URL's token or a password)."""

from __future__ import annotations


class AlertError(Exception):
    """Root of every error raised by the alerts package."""


class AlertDeliveryError(AlertError):
    """A channel did not accept a message (the receiver is down, refused it, or timed out)."""
