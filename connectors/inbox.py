"""The delivery inbox: `<inbox>/<unit>/<source>/<YYYY-MM>/<file>`, and the checks every delivered path passes.

Offices drop one file per source and month, e.g. `inbox/10549/tax/2025-08/bao-cao-thu-nsnn-2025-08.xlsx`.
`<unit>` is the GSO code (digits), `<source>` one of the source codes, `<YYYY-MM>` the month the file
describes. Names must be plain: no `..`, no absolute paths, no NUL or control characters, no path
separators or characters that Windows or a shell treat specially (`<>:"|?*`, backslash), no leading or
trailing space or dot. Hidden files (`.~lock…`, `.DS_Store`) and the `processed/` and `quarantine/`
folders that flows keep beside the deliveries are not deliveries. These are pure checks: moving files is
the flows' business.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

from connectors.errors import BadInputError

SOURCE_CODES = ("tax", "public_service", "health", "education", "indicators")
RESERVED_FOLDERS = ("processed", "quarantine")
_UNIT = re.compile(r"^\d{2,8}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_ODD = re.compile(r'[<>:"|?*\\/]')
_MAX_NAME = 200


def _fail(path: object, found: str, expected: str) -> BadInputError:
    name = str(path).encode("unicode_escape").decode("ascii")  # control characters shown, not obeyed
    return BadInputError(file=name, source="inbox", found=found, expected=expected)


def check_file_name(name: str, *, path: object | None = None) -> str:
    """`name` (one path component) in NFC when it is a plain file or folder name; BadInputError otherwise."""
    shown = path if path is not None else name
    if "\x00" in name:
        raise _fail(shown, "a NUL character in the name", "a plain file name")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise _fail(shown, "a control character in the name", "a plain file name")
    if name in ("", ".", ".."):
        raise _fail(shown, f"the name '{name}'", "a file or folder name (no '..')")
    if ".." in name:
        raise _fail(shown, "'..' in the name", "a plain file name (no '..')")
    match = _ODD.search(name)
    if match:
        raise _fail(shown, f"the character '{match.group(0)}' in the name",
                    'a plain file name (none of < > : " | ? * \\ /)')
    if name != name.strip() or name.endswith("."):
        raise _fail(shown, "a name starting or ending with a space or a dot", "a plain file name")
    if len(name) > _MAX_NAME:
        raise _fail(shown, f"a name of {len(name)} characters", f"at most {_MAX_NAME} characters")
    return unicodedata.normalize("NFC", name)


def check_file_size(path: str | Path, max_bytes: int | None) -> int:
    """The size of a delivered file in bytes; BadInputError when it exceeds `max_bytes`.

    Checked from the file system before anything opens the file, so an oversized (or sparse) file is
    never read into memory or parsed. `max_bytes` comes from settings (THIDUA_MAX_FILE_MB); None: no limit.
    """
    path = Path(path)
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise BadInputError(file=path.name, source="inbox", found=f"a file of {size / 2**20:,.1f} MB",
                            expected=f"at most {max_bytes / 2**20:g} MB (THIDUA_MAX_FILE_MB)")
    return size


def check_delivery_path(inbox_root: str | Path, path: str | Path) -> tuple[str, str, str, Path]:
    """(unit, source, period, resolved file path) of a delivered file inside `inbox_root`.

    `path` may be absolute (it must then lie inside the inbox) or relative to the inbox root; it must read
    `<unit>/<source>/<YYYY-MM>/<file>` with plain names.

    Raises:
        BadInputError: `..`, an absolute path outside the inbox, NUL/control/odd characters, a wrong
            depth, an unknown source, a bad unit code or month.
    """
    root = Path(inbox_root).resolve()
    text = str(path)
    if "\x00" in text:
        raise _fail(text, "a NUL character in the path", "a path without control characters")
    candidate = Path(text)
    windows = PureWindowsPath(text)
    if candidate.is_absolute() or windows.drive or text.startswith(("\\", "/")):
        try:
            relative = PurePosixPath(candidate.relative_to(root).as_posix()) if candidate.is_absolute() else None
        except ValueError:
            relative = None
        if relative is None:
            raise _fail(text, "an absolute path outside the inbox", f"a path inside {root}")
    else:
        relative = PurePosixPath(text.replace("\\", "/")) if "\\" not in text else None
        if relative is None:
            raise _fail(text, "the character '\\' in the path", "a path with '/' between its parts")
    parts = relative.parts
    for part in parts:
        check_file_name(part, path=text)
    if len(parts) != 4:
        raise _fail(text, f"{len(parts)} levels below the inbox",
                    "<unit>/<source>/<YYYY-MM>/<file> (4 levels)")
    unit, source, period, name = parts
    if not _UNIT.match(unit):
        raise _fail(text, f"the unit folder '{unit}'", "a GSO unit code (digits, e.g. 10549)")
    if source not in SOURCE_CODES:
        raise _fail(text, f"the source folder '{source}'", "one of " + ", ".join(SOURCE_CODES))
    if not _PERIOD.match(period):
        raise _fail(text, f"the month folder '{period}'", "a month YYYY-MM (e.g. 2025-08)")
    if name.startswith("."):
        raise _fail(text, f"the hidden file '{name}'", "a delivered file (hidden files are not deliveries)")
    full = root.joinpath(*parts)
    check_no_links(root, parts, shown=text)
    return unit, source, period, full


_LEVELS = ("unit folder", "source folder", "month folder", "file")


def check_no_links(inbox_root: str | Path, parts: tuple[str, ...] | list[str], *, shown: object | None = None) -> Path:
    """The path `inbox_root`/`parts` (unit, source, month[, file]) when no level of it is a symbolic link
    and it stays inside the inbox once resolved; BadInputError naming the link otherwise.

    Checked before anything reads or moves a delivery: a month folder (or a file) that is a link leading
    out of the inbox must never let a file outside it be moved into quarantine or processed.
    """
    root = Path(inbox_root).resolve()
    level = root
    for kind, part in zip(_LEVELS, parts, strict=False):
        level = level / part
        if level.is_symlink():
            try:
                target = level.readlink()
            except OSError:
                target = "?"
            raise _fail(shown if shown is not None else level, f"the {kind} '{part}' is a link (to {target})",
                        f"a real {'file' if kind == 'file' else 'folder'} inside the inbox {root}: links are refused, "
                        "nothing was moved")
    if level.exists() and not level.resolve().is_relative_to(root):
        raise _fail(shown if shown is not None else level, "a path leading outside the inbox",
                    f"a path inside {root}")
    return level


def discover_deliveries(inbox_root: str | Path) -> list[tuple[str, str, str, Path]]:
    """Every delivered file under `inbox_root` as (unit, source, period, path), sorted.

    Hidden files and the `processed/` and `quarantine/` folders are skipped; any other file is checked
    with `check_delivery_path`, so an oddly named or misplaced delivery raises instead of being ignored.
    """
    root = Path(inbox_root).resolve()
    if not root.is_dir():
        return []
    found = []
    for file in sorted(root.rglob("*")):
        rel = file.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or any(p in RESERVED_FOLDERS for p in rel.parts):
            continue
        if file.is_dir() and not file.is_symlink():
            continue
        found.append(check_delivery_path(root, rel.as_posix()))
    return sorted(found, key=lambda t: (t[0], t[1], t[2], t[3].name))


__all__ = ["SOURCE_CODES", "check_delivery_path", "check_file_name", "check_file_size", "check_no_links",
           "discover_deliveries"]
