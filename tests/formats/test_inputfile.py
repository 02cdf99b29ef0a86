"""Workspace confinement: every input is a regular file of the workspace, reached without links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from greenaudit.formats.csvfile import read_rows
from greenaudit.errors import InputError
from greenaudit.formats.inputfile import check_input, read_input, split
from greenaudit.formats.yamlfile import load

SECRET = "root:x:0:0:secret-outside-line"


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    ws = tmp_path / "ws"
    for folder in ("raw/sources", "raw/tables", "schemas", "config"):
        (ws / folder).mkdir(parents=True)
    (ws / "raw" / "sources" / "a.txt").write_text("正文\n", encoding="utf-8")
    return ws


def _refused(path: Path, fragment: str) -> str:
    with pytest.raises(InputError) as info:
        read_input(path)
    message = str(info.value)
    assert str(path) in message and fragment in message, message
    assert SECRET not in message
    return message


def test_a_regular_file_is_read(workspace):
    assert read_input(workspace / "raw" / "sources" / "a.txt") == "正文\n".encode()


def test_the_root_is_above_the_last_input_directory():
    assert split(Path("/w/raw/p/raw/tables/x.csv")) == (Path("/w/raw/p"), ("raw", "tables", "x.csv"))
    assert split(Path("config/config.yaml")) == (Path("."), ("config", "config.yaml"))


def test_a_symlink_to_an_outside_file_is_refused(workspace):
    link = workspace / "raw" / "sources" / "b.txt"
    link.symlink_to(workspace.parent / "outside" / "secret.txt")
    _refused(link, "is a symbolic link")


def test_a_symlink_inside_the_workspace_is_refused_too(workspace):
    link = workspace / "raw" / "sources" / "b.txt"
    link.symlink_to("a.txt")
    _refused(link, "is a symbolic link")


def test_a_symlinked_directory_on_the_path_is_refused(workspace):
    (workspace / "raw" / "tables").rmdir()
    (workspace / "raw" / "tables").symlink_to(workspace.parent / "outside")
    _refused(workspace / "raw" / "tables" / "secret.txt", "raw/tables, which is a symbolic link")


def test_a_fifo_is_refused_without_blocking(workspace):
    fifo = workspace / "raw" / "sources" / "f.txt"
    os.mkfifo(fifo)
    _refused(fifo, "is a FIFO")


def test_a_directory_is_refused(workspace):
    folder = workspace / "raw" / "ignored.csv"
    folder.mkdir()
    _refused(folder, "is a directory")


def test_a_hard_link_is_refused(workspace):
    target = workspace.parent / "outside" / "secret.txt"
    link = workspace / "raw" / "sources" / "h.txt"
    os.link(target, link)
    _refused(link, "hard link")


def test_a_missing_file_is_not_found(workspace):
    _refused(workspace / "raw" / "sources" / "none.txt", "file not found")


def test_check_input_refuses_what_read_input_refuses(workspace):
    link = workspace / "schemas" / "rules.yaml"
    link.symlink_to(workspace.parent / "outside" / "secret.txt")
    with pytest.raises(InputError, match="symbolic link"):
        check_input(link)


def test_the_csv_and_yaml_readers_are_confined(workspace):
    table = workspace / "raw" / "tables" / "a.csv"
    table.symlink_to(workspace.parent / "outside" / "secret.txt")
    with pytest.raises(InputError) as info:
        read_rows(table, ("x",))
    assert "symbolic link" in str(info.value) and SECRET not in str(info.value)
    catalog = workspace / "schemas" / "indicators.yaml"
    catalog.symlink_to(workspace.parent / "outside" / "secret.txt")
    with pytest.raises(InputError, match="symbolic link"):
        load(catalog)


def test_staging_a_linked_source_never_reads_it(workspace_copy: Path, tmp_path: Path):
    """The checksum check fails naming the link; nothing of the outside file is staged."""
    from greenaudit.stage.source import stage_source

    outside = tmp_path / "secret.txt"
    outside.write_text(SECRET, encoding="utf-8")
    source_id = "003_1a3b190ec270dc4e"
    path = workspace_copy / "raw" / "sources" / f"{source_id}.txt"
    path.unlink()
    path.symlink_to(outside)
    staged = stage_source(workspace_copy, source_id)
    [checksum] = [c for c in staged.checks if c.check_id.startswith("source.checksum")]
    assert checksum.status == "fail" and "symbolic link" in checksum.message
    assert staged.original is None and staged.normalised_text == ""
    assert all(SECRET not in c.message for c in staged.checks)
