"""The checks on a source document itself: read confined, checksum, encoding, and no
invisible characters left after its declared cleaning.

Each returns failing checks rather than raising, so that staging goes on and reports
every problem of the source's table too. O(length of the document).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from greenaudit.checks import Check
from greenaudit.formats.csvfile import encoding_error
from greenaudit.errors import InputError
from greenaudit.formats.inputfile import read_input
from greenaudit.text.invisible import find_invisible, located
from greenaudit.workspace.manifest import Source
from greenaudit.text.normalise import NormalisedText


def verify_source(workspace: Path, source: Source, checks: list[Check]) -> str | None:
    """The document's text (None if it cannot be read), its checks appended to `checks`.

    A file that is not a regular file inside the workspace is never read: its
    checksum check fails, naming what is there instead (inputfile.read_input).
    """
    check_id = f"source.checksum.{source.source_id}"
    try:
        data = read_input(workspace / source.file)
    except InputError as exc:
        checks.append(Check(check_id, "manifest", "error", "fail", source.file, 1, 1,
                            f"{source.file}: {exc.reason} (raw/sources.csv line "
                            f"{source.line} expects sha256 {source.sha256})"))
        return None
    actual = hashlib.sha256(data).hexdigest()
    if actual != source.sha256:
        checks.append(Check(check_id, "manifest", "error", "fail", source.file, 1, 1,
                            f"{source.file}: sha256 is {actual}, raw/sources.csv line "
                            f"{source.line} expects {source.sha256}"))
    else:
        checks.append(Check(check_id, "manifest", "error", "pass", source.file, 1, 0,
                            f"sha256 {actual}"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        checks.append(Check(f"source.encoding.{source.source_id}", "manifest", "error",
                            "fail", source.file, 1, 1,
                            encoding_error(Path(source.file), data, exc).located()))
        return None


def invisible_check(source: Source, original: str, normalised: NormalisedText) -> Check | None:
    """A failing check naming the invisible characters the cleaned text still holds (none:
    no check, so a clean source adds no row to checks.csv)."""
    offsets = find_invisible(normalised.text)
    if not offsets:
        return None
    first = normalised.origin[offsets[0]]
    line = original.count("\n", 0, first) + 1
    column = first - (original.rfind("\n", 0, first) + 1) + 1
    listed = located(normalised.text, offsets, normalised.origin, original)
    return Check(f"source.invisible.{source.source_id}", "manifest", "error", "fail",
                 source.file, len(normalised.text), len(offsets),
                 f"{source.file}:{line}:{column}: invisible character(s) {listed}; expected "
                 f"visible text, or a declaration in raw/sources.csv (line {source.line}) that "
                 f"drops them, e.g. strip_patterns \\x{{{ord(normalised.text[offsets[0]]):04X}}}")
