"""The source manifest raw/sources.csv: what each document is and how to clean it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import re2

from greenaudit.formats.csvfile import read_rows
from greenaudit.errors import InputError, excerpt, shorten
from greenaudit.text.normalise import Cleaning, compile_strip_pattern

MANIFEST_COLUMNS = ("source_id", "file", "sha256", "title", "publisher", "published",
                    "script", "kind")
CLEANING_COLUMNS = ("drop_strings", "strip_patterns")
# Where the document was retrieved from, and when; either may be empty (unknown).
PROVENANCE_COLUMNS = ("url", "retrieved")
OPTIONAL_COLUMNS = CLEANING_COLUMNS + PROVENANCE_COLUMNS
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
    url: str = ""
    retrieved: str = ""

    @property
    def cleaning(self) -> Cleaning:
        return Cleaning(self.drop_strings, self.strip_patterns, self.script == "Hant")

    def record(self) -> dict:
        return {"source_id": self.source_id, "file": self.file, "sha256": self.sha256,
                "title": self.title, "publisher": self.publisher, "published": self.published,
                "script": self.script, "kind": self.kind,
                "drop_strings": LIST_SEPARATOR.join(self.drop_strings),
                "strip_patterns": LIST_SEPARATOR.join(self.strip_patterns),
                "url": self.url, "retrieved": self.retrieved}


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in (p.strip() for p in value.split(LIST_SEPARATOR)) if part)


def _re2_reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else exc
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return shorten(str(reason), 120)


def url_problem(url: str) -> str | None:
    """None if `url` is empty or an absolute http(s) URL, else what is wrong with it."""
    if not url:
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return f"url {url!r} contains whitespace; expected one absolute http(s) URL"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        return f"url {url!r} is malformed ({exc}); expected an absolute http(s) URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"url {url!r}; expected an absolute URL starting with https:// or http://"
    return None


def retrieved_problem(retrieved: str, published: str, url: str) -> str | None:
    """None if `retrieved` is empty (with no url) or an ISO date not before `published`."""
    if not retrieved:
        return (f"url {url} has no retrieval date; expected the date it was retrieved "
                f"(YYYY-MM-DD) in retrieved" if url else None)
    try:
        day = date.fromisoformat(retrieved) if re.fullmatch(r"\d{4}-\d{2}-\d{2}",
                                                            retrieved) else None
    except ValueError:
        day = None
    if day is None:
        return f"retrieved {retrieved!r}; expected an ISO date YYYY-MM-DD (or empty)"
    # A document cannot be retrieved before it was published (YYYY or YYYY-MM).
    if published and retrieved[:len(published)] < published:
        return f"retrieved {retrieved} is before the document was published ({published})"
    return None


def load_manifest(workspace: Path) -> dict[str, Source]:
    """Parse and check raw/sources.csv (structure only; checksums are checked per source)."""
    path = workspace / "raw" / "sources.csv"
    sources: dict[str, Source] = {}
    by_digest: dict[str, str] = {}
    for row in read_rows(path, MANIFEST_COLUMNS, OPTIONAL_COLUMNS):
        def fail(message: str, column: str) -> InputError:
            return InputError(message, file=str(path), line=row.line,
                              column=row.column(column), field=column)
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
        url, retrieved = row.get("url"), row.get("retrieved")
        problem = url_problem(url)
        if problem:
            raise fail(problem, "url")
        problem = retrieved_problem(retrieved, row["published"], url)
        if problem:
            raise fail(problem, "retrieved")
        sources[sid] = Source(sid, row["file"], row["sha256"], row["title"], row["publisher"],
                              row["published"], row["script"], row["kind"],
                              _split(row.get("drop_strings")), patterns, row.line, url,
                              retrieved)
    return sources


def source_ids(workspace: Path) -> list[str]:
    """Source ids of the manifest, for the workflow's wildcards (no validation)."""
    return sorted(load_manifest(workspace))

