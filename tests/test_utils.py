"""utils.atomic_path: all-or-nothing writes with ordinary permissions."""
import os

import pytest

from n2s_lite.utils import atomic_path


def test_a_written_file_gets_ordinary_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "out.txt") as tmp:
            tmp.write_text("result")
    finally:
        os.umask(previous)
    assert (tmp_path / "out.txt").read_text() == "result"
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "out.txt") as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_existing_user_data_is_never_replaced_without_overwrite(tmp_path):
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        with atomic_path(tmp_path / "mine.txt", overwrite=False) as tmp:
            tmp.write_text("new")
    assert (tmp_path / "mine.txt").read_text() == "precious"


def test_a_directory_is_never_a_target_even_with_overwrite(tmp_path):
    from n2s_lite.errors import InputError

    (tmp_path / "results").mkdir()
    with pytest.raises(InputError, match="output path.*a directory"):
        with atomic_path(tmp_path / "results", overwrite=True) as tmp:
            tmp.write_text("x")
    assert (tmp_path / "results").is_dir() and [p.name for p in tmp_path.iterdir()] == ["results"]
