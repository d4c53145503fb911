"""Vietnamese numbers as plans write them: ``4,5`` (decimal comma), ``100.000`` (thousands dots),
``100 nghìn``, and number words (``chín mươi phần trăm``, ``một trăm nghìn lượt``).

``words_to_digits`` rewrites number words into digits so the grammar (plans/grammar.py) reads one
notation; ``parse_number`` reads one number token.
"""

from __future__ import annotations

import re
import unicodedata

# A number token: thousands groups with dots (100.000, 1.234,5), or digits with an optional decimal
# part written with a comma or (English-style) a dot followed by 1-2 digits.
NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?(?:\.\d{1,2}(?!\d))?"
MULTIPLIERS = {"nghìn": 1_000, "ngàn": 1_000, "triệu": 1_000_000, "tỷ": 1_000_000_000, "tỉ": 1_000_000_000}

_DIGIT_WORDS = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5,
                "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9}
_NUMBER_WORDS = set(_DIGIT_WORDS) | {"mười", "mươi", "trăm", "lẻ", "linh", "rưỡi", "phẩy", *MULTIPLIERS}
_STRONG = {"mười", "mươi", "trăm", "rưỡi", "phẩy", *MULTIPLIERS}   # a run holding one of these is surely a number
_FOLLOWERS = re.compile(r"\s*(?:phần\s+trăm|%|lượt|người|hộ|khách)", re.IGNORECASE)


def nfc(text: str) -> str:
    """Text in Unicode NFC (documents mix NFC and NFD), non-breaking spaces as spaces."""
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")


def parse_number(token: str) -> float:
    """``'4,5'`` -> 4.5, ``'100.000'`` -> 100000, ``'1.234,5'`` -> 1234.5, ``'12.5'`` -> 12.5."""
    token = token.strip()
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        return float(token.replace(".", "").replace(",", "."))
    return float(token.replace(",", "."))


def _words_value(words: list[str]) -> float | None:
    """The value of a run of Vietnamese number words, or None when it is not a well-formed number."""
    total, group, current = 0, 0, None   # group: below 1000 being built; current: the last digit word
    for i, word in enumerate(words):
        if word in _DIGIT_WORDS:
            value = _DIGIT_WORDS[word]
            if current is not None:
                return None
            current = value
        elif word == "mười":
            if current is not None:
                return None
            group += 10
        elif word == "mươi":
            if current is None:
                return None
            group += current * 10
            current = None
        elif word == "trăm":
            if current is None:
                return None
            group += current * 100
            current = None
        elif word in ("lẻ", "linh"):
            if current is not None or i == len(words) - 1:
                return None
        elif word == "rưỡi":   # "một trăm rưỡi" = 150, "hai nghìn rưỡi" = 2500
            return None if i != len(words) - 1 else _half(words[:-1])
        elif word in MULTIPLIERS:
            group += current or 0
            current = None
            if group == 0:
                return None
            total += group * MULTIPLIERS[word]
            group = 0
    return float(total + group + (current or 0))


def _half(words: list[str]) -> float | None:
    base = _words_value(words)
    if base is None or not words:
        return None
    unit = {"trăm": 100, **MULTIPLIERS}.get(words[-1], 10 if words[-1] in ("mười", "mươi") else 1)
    return base + unit / 2


def words_to_digits(text: str) -> str:
    """Rewrite runs of number words as digits: ``tăng mười phần trăm`` -> ``tăng 10 %``; a digit followed
    by a multiplier (``100 nghìn``, ``1,5 triệu``) as the whole number; ``phần trăm`` as ``%``.

    A lone ``năm`` (which also means "year") is a number only before ``phần trăm``/``%`` or a count unit.
    """
    text = nfc(text)

    def run_repl(match: re.Match) -> str:
        raw = match.group(0)
        words = raw.lower().split()
        if not (_STRONG & set(words)) and not _FOLLOWERS.match(text, match.end()):
            return raw
        if "phẩy" in words:   # "bốn phẩy năm" = 4,5: the digits after "phẩy" are read one by one
            cut = words.index("phẩy")
            whole = _words_value(words[:cut])
            decimals = [_DIGIT_WORDS.get(w) for w in words[cut + 1:]]
            if whole is None or not decimals or None in decimals:
                return raw
            value = float(f"{int(whole)}." + "".join(str(d) for d in decimals))
        else:
            value = _words_value(words)
        if value is None:
            return raw
        return _fmt(value) + (" " if raw[-1:].isspace() else "")

    pattern = r"(?<![\w])(?:(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")(?:\s+|(?=[^\w])|$))+"
    text = re.sub(pattern, run_repl, text, flags=re.IGNORECASE)

    def mult_repl(match: re.Match) -> str:
        return _fmt(parse_number(match.group(1)) * MULTIPLIERS[match.group(2).lower()])

    text = re.sub(r"(" + NUMBER + r")\s*(nghìn|ngàn|triệu|tỷ|tỉ)(?!\w)", mult_repl, text, flags=re.IGNORECASE)
    return re.sub(r"\s*phần\s+trăm", "%", text, flags=re.IGNORECASE)


def _fmt(value: float) -> str:
    """A number back as a Vietnamese token (integers plain, decimals with a comma)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}".replace(".", ",")
