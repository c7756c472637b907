"""What holds for robustgan.io_utils: a file is replaced whole or not at all."""

import os

import pytest

from robustgan import io_utils
from robustgan.io_utils import atomic_open, atomic_write_text


def test_the_content_replaces_the_target_and_no_temporary_stays(tmp_path):
    target = tmp_path / "a.csv"
    target.write_text("old")
    with atomic_open(target, encoding="utf-8", newline="") as handle:
        handle.write("x,y\r\n1,2\n")
    assert target.read_bytes() == b"x,y\r\n1,2\n"  # newline="" writes line ends as given
    atomic_write_text(target, "é")
    assert target.read_text(encoding="utf-8") == "é"
    with atomic_open(target, "wb") as handle:
        handle.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(os.listdir(tmp_path)) == ["a.csv"]


def test_an_error_leaves_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_open(target) as handle:
        handle.write("half of the new")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["a.json"]


def test_the_data_is_on_disk_before_the_rename(tmp_path, monkeypatch):
    events = []
    fsync, replace = os.fsync, os.replace
    monkeypatch.setattr(io_utils.os, "fsync", lambda fd: events.append("fsync") or fsync(fd))
    monkeypatch.setattr(io_utils.os, "replace", lambda a, b: events.append(
        ("replace", os.path.dirname(a))) or replace(a, b))
    atomic_write_text(tmp_path / "a.txt", "done")
    assert events == ["fsync", ("replace", str(tmp_path))]  # the temporary sits beside the target


def test_only_whole_file_modes_are_accepted(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'w' or 'wb'"), \
            atomic_open(tmp_path / "a.txt", "a"):
        pass
