"""Deployment parameters as operators type them.

`prefect deployment run … --param unit_code=10549` sends the JSON number 10549, and a parameter declared
``str`` refuses it. The flows declare unit codes as ``str | int`` and turn them into text here, at once.
"""

from __future__ import annotations


def unit_code_text(unit_code: str | int | None) -> str | None:
    """A unit code as text (``10549`` → ``"10549"``); None and blank stay None."""
    if unit_code is None:
        return None
    text = str(unit_code).strip()
    return text or None


def unit_codes_text(unit_codes: list[str | int] | None) -> list[str] | None:
    """Unit codes as text, blanks dropped; None stays None."""
    if unit_codes is None:
        return None
    return [code for code in (unit_code_text(u) for u in unit_codes) if code is not None]
