"""The source manifest raw/sources.csv: what each document is and how to clean it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import re2

from greenaudit.formats.csvfile import read_rows
from greenaudit.errors import InputError, excerpt, shorten
from greenaudit.text.normalise import Cleaning, compile_strip_pattern

MANIFEST_COLUMNS = ("source_id", "file", "sha256", "title", "publisher", "published",
                    "script", "kind")
CLEANING_COLUMNS = ("drop_strings", "strip_patterns")
SCRIPTS = ("Hans", "Hant")
LIST_SEPARATOR = "|"
SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Source:
    source_id: str
    file: str
    sha256: str
    title: str
    publisher: str
    published: str
    script: str
    kind: str
    drop_strings: tuple[str, ...]
    strip_patterns: tuple[str, ...]
    line: int

    @property
    def cleaning(self) -> Cleaning:
        return Cleaning(self.drop_strings, self.strip_patterns, self.script == "Hant")

    def record(self) -> dict:
        return {"source_id": self.source_id, "file": self.file, "sha256": self.sha256,
                "title": self.title, "publisher": self.publisher, "published": self.published,
                "script": self.script, "kind": self.kind,
                "drop_strings": LIST_SEPARATOR.join(self.drop_strings),
                "strip_patterns": LIST_SEPARATOR.join(self.strip_patterns)}


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in (p.strip() for p in value.split(LIST_SEPARATOR)) if part)


def _re2_reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else exc
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return shorten(str(reason), 120)


def load_manifest(workspace: Path) -> dict[str, Source]:
    """Parse and check raw/sources.csv (structure only; checksums are checked per source)."""
    path = workspace / "raw" / "sources.csv"
    sources: dict[str, Source] = {}
    by_digest: dict[str, str] = {}
    for row in read_rows(path, MANIFEST_COLUMNS, CLEANING_COLUMNS):
        def fail(message: str, column: str) -> InputError:
            return InputError(message, file=str(path), line=row.line,
                              column=(MANIFEST_COLUMNS + CLEANING_COLUMNS).index(column) + 1,
                              field=column)
        sid = row["source_id"]
        if not SOURCE_ID.match(sid):
            raise fail(f"source_id {excerpt(sid)} is not a plain file stem", "source_id")
        if sid in sources:
            raise fail(f"source_id {sid} is listed twice (also line {sources[sid].line})",
                       "source_id")
        if row["file"] != f"raw/sources/{sid}.txt":
            raise fail(f"file is {excerpt(row['file'])}; expected raw/sources/{sid}.txt", "file")
        if not re.fullmatch(r"[0-9a-f]{64}", row["sha256"]):
            raise fail("sha256 must be 64 lowercase hex digits", "sha256")
        # One document under two ids would count as two sources that agree.
        twin = by_digest.setdefault(row["sha256"], sid)
        if twin != sid:
            raise fail(f"sha256 is also that of {twin} (line {sources[twin].line}); expected one "
                       f"row per document", "sha256")
        if row["script"] not in SCRIPTS:
            raise fail(f"script {excerpt(row['script'])}; expected one of {', '.join(SCRIPTS)}", "script")
        patterns = _split(row.get("strip_patterns"))
        for pattern in patterns:
            try:
                compile_strip_pattern(pattern)
            except re2.error as exc:
                raise fail(f"strip pattern {excerpt(pattern)} is not a regular expression RE2 "
                           f"can run in linear time ({_re2_reason(exc)}); expected RE2 syntax "
                           f"without backreferences or lookaround", "strip_patterns") from None
        sources[sid] = Source(sid, row["file"], row["sha256"], row["title"], row["publisher"],
                              row["published"], row["script"], row["kind"],
                              _split(row.get("drop_strings")), patterns, row.line)
    return sources


def source_ids(workspace: Path) -> list[str]:
    """Source ids of the manifest, for the workflow's wildcards (no validation)."""
    return sorted(load_manifest(workspace))

