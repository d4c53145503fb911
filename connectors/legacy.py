"""Legacy Vietnamese font encodings (TCVN3 / ABC and VNI): detection by character profile, explicit conversion.

Old workbooks typed with the `.VnTime`/`.VnTimeH` (TCVN3) or `VNI-Times` (VNI) fonts store Latin-1
look-alike characters: `NguyÔn` (TCVN3) and `Nguyeãn` (VNI) both mean `Nguyễn` (source-formats.md §1).
The font name is not available to the reader, so the encoding of a sheet is decided from its text as a
whole (`detect_encoding`) and the sheet is then converted cell by cell (`to_unicode`). The caller reports
the conversion (`records.attrs["text_encoding"]`); nothing is converted silently and a sheet that looks
like both is refused by the caller rather than guessed.

Text typed with `.VnTimeH` (the capitals-only TCVN3 font) is stored as lower-case codes: it converts to
lower case, which label matching (case-folded) does not mind.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

UNICODE = "unicode"
TCVN3 = "tcvn3"
VNI = "vni"

# TCVN 5712:1993 (VN3): one Latin-1 code per Vietnamese letter (the .VnTime font).
_TCVN3_CODES = "¸µ¶·¹¨¾»¼½Æ©ÊÇÈÉËÐÌÎÏÑªÕÒÓÔÖÝ×ØÜÞãßáâä«èåæçé¬íêëìîóïñòô\xadøõö÷ùýúûüþ®¡¢§£¤¥¦"
_TCVN3_TEXT = "áàảãạăắằẳẵặâấầẩẫậéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵđĂÂĐÊÔƠƯ"
_TCVN3 = dict(zip(_TCVN3_CODES, _TCVN3_TEXT, strict=True))

# VNI Windows: a base letter followed by a mark code; a few letters are one code of their own.
_VNI_TONES = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}   # sắc huyền hỏi ngã nặng
_VNI_TONES_HAT = {"\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}  # after â ê ô
_VNI_TONES_BREVE = {"\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}  # after ă
_VNI_SINGLE = {"í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò", "ỵ": "î", "đ": "ñ", "ơ": "ô", "ư": "ö",
               "Í": "Í", "Ì": "Ì", "Ỉ": "Æ", "Ĩ": "Ó", "Ị": "Ò", "Ỵ": "Î", "Đ": "Ñ", "Ơ": "Ô", "Ư": "Ö"}


def _vni_encode_letter(ch: str) -> str | None:
    """The VNI spelling of one Vietnamese letter, None for a letter VNI writes as itself."""
    if ch in _VNI_SINGLE:
        return _VNI_SINGLE[ch]
    parts = unicodedata.normalize("NFD", ch)
    base, marks = parts[0], parts[1:]
    if base.lower() not in "aeiouy" or not marks:
        return None
    hat = "\u0302" in marks
    breve = "\u0306" in marks
    horn = "\u031b" in marks
    tone = next((m for m in marks if m in _VNI_TONES), None)
    upper = base.isupper()
    if horn:  # ơ ư + tone: the horned letter's single code, then the tone code
        head = _VNI_SINGLE["Ơ" if base in "Oo" and upper else "ơ" if base in "Oo" else "Ư" if upper else "ư"]
        return head + (_tone_code(_VNI_TONES, tone, upper) if tone else "")
    if hat:  # â = aâ, ấ = aá: with a tone, the tone's code carries the hat
        return base + (_tone_code(_VNI_TONES_HAT, tone, upper) if tone else ("Â" if upper else "â"))
    if breve:  # ă = aê, ắ = aé
        return base + (_tone_code(_VNI_TONES_BREVE, tone, upper) if tone else ("Ê" if upper else "ê"))
    if base.lower() == "y" and tone == "\u0323":
        return None  # ỵ is a single code (above)
    return base + _tone_code(_VNI_TONES, tone, upper)


def _tone_code(table: dict[str, str], tone: str, upper: bool) -> str:
    code = table[tone]
    return code.upper() if upper else code


def _vni_table() -> dict[str, str]:
    """VNI spelling -> Unicode letter, for every Vietnamese letter with a diacritic."""
    letters = set(_TCVN3_TEXT) | {c.upper() for c in _TCVN3_TEXT}
    table = {}
    for ch in sorted(letters):
        code = _vni_encode_letter(ch)
        if code and code != ch:
            table[code] = ch
    return table


_VNI = _vni_table()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI, key=len, reverse=True)))

_VIETNAMESE_LETTERS = frozenset(_TCVN3_TEXT) | frozenset(_TCVN3_TEXT.upper()) | frozenset("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
_ONLY_UNICODE = frozenset("ăđơưĂĐƠƯ") | frozenset(chr(c) for c in range(0x1EA0, 0x1EFA))
_ALLOWED_SYMBOLS = frozenset("°±")


def _profile(text: str) -> tuple[int, int]:
    """(odd, vietnamese): Latin-1/Latin-extended characters that are no Vietnamese letter, and letters
    only Vietnamese Unicode has (ă đ ơ ư ạ … ỹ)."""
    odd = good = 0
    for ch in text:
        if ch in _ONLY_UNICODE:
            good += 1
        elif "\u00a1" <= ch <= "\u024f" and ch not in _VIETNAMESE_LETTERS and ch not in _ALLOWED_SYMBOLS:
            odd += 1
    return odd, good


_VNI_CODES = frozenset("".join(_VNI)) - frozenset(map(chr, range(128)))
_TCVN3_ONLY = frozenset(_TCVN3_CODES) - _VNI_CODES - frozenset("íìÍÌ")  # ¸ µ ¨ © ª « ¬ ® …: never in VNI
_VNI_ONLY = _VNI_CODES - frozenset(_TCVN3_CODES)            # À Á Â Ã Ä Å Ù Ú Û à
_VNI_PAIR = re.compile("[aeiouyAEIOUY][ùøûõïâêáàåãäéèúüëÙØÛÕÏÂÊÁÀÅÃÄÉÈÚÜË]|[ôöÔÖ][ùøûõïÙØÛÕÏ]")


def detect_encoding(texts: Iterable[str]) -> tuple[str, dict[str, int]]:
    """The encoding a sheet's texts were typed in: `unicode`, `tcvn3`, `vni`, or `ambiguous`.

    Evidence, over all the sheet's texts together: letters only Unicode has (`ă đ ơ ư ạ … ỹ`) mean Unicode;
    TCVN3 codes VNI never uses (`¸ µ ¨ © ª « ¬ ®` …) count for TCVN3; a vowel followed by a VNI mark code
    (`aù`, `eä`, `oà` …) and VNI-only codes count for VNI. One legacy profile must outweigh the other
    twice over. Text whose characters are all Vietnamese letters as they stand is Unicode. Anything else is `ambiguous`
    (the caller refuses the sheet rather than guess). Returns (encoding, evidence counts).
    """
    joined = "\n".join(unicodedata.normalize("NFC", t) for t in texts if t)
    evidence = {
        "unicode": sum(ch in _ONLY_UNICODE for ch in joined),
        "tcvn3": sum(ch in _TCVN3_ONLY for ch in joined),
        "vni": len(_VNI_PAIR.findall(joined)) + sum(ch in _VNI_ONLY for ch in joined),
        "odd": _profile(joined)[0],
    }
    if evidence["unicode"] or not evidence["odd"]:  # only Vietnamese letters as they stand: Unicode
        return UNICODE, evidence
    tcvn3, vni = evidence["tcvn3"], evidence["vni"]
    if tcvn3 > 2 * vni:
        return TCVN3, evidence
    if vni > 2 * tcvn3:
        return VNI, evidence
    return "ambiguous", evidence


def to_unicode(text: str, encoding: str) -> str:
    """`text` converted from `encoding` (`tcvn3` or `vni`) to Unicode NFC; `unicode` returns it unchanged."""
    if encoding == UNICODE or not text:
        return text
    if encoding == TCVN3:
        return "".join(_TCVN3.get(ch, ch) for ch in text)
    if encoding == VNI:
        return _VNI_RE.sub(lambda m: _VNI[m.group(0)], text)
    raise ValueError(f"unknown text encoding {encoding!r}")


def from_unicode(text: str, encoding: str) -> str:
    """`text` written in a legacy encoding (for building test files; the inverse of `to_unicode`)."""
    if encoding == UNICODE:
        return text
    nfc = unicodedata.normalize("NFC", text)
    if encoding == TCVN3:
        # .VnTime has no accented capitals: they are typed with .VnTimeH, i.e. the lower-case codes
        reverse = {v: k for k, v in _TCVN3.items()}
        return "".join(reverse.get(ch) or reverse.get(ch.lower(), ch) for ch in nfc)
    if encoding == VNI:
        return "".join(_vni_encode_letter(ch) or ch for ch in nfc)
    raise ValueError(f"unknown text encoding {encoding!r}")


__all__ = ["TCVN3", "UNICODE", "VNI", "detect_encoding", "from_unicode", "to_unicode"]
