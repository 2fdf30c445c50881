"""ttcgames.io.frames.read_frame: every way a CSV artifact can be unusable is the caller's error,
naming the file; a good file comes back as read with the caller's pandas options."""

from __future__ import annotations

import pytest

from ttcgames.io.frames import read_frame


class StageError(ValueError):
    pass


@pytest.mark.parametrize(
    "content, message",
    [
        (None, r"missing table file .*t\.csv"),
        ("", r"t\.csv: empty file, expected a header with \['a', 'b'\]"),
        ("a,c\n1,2\n", r"t\.csv: missing column\(s\) \['b'\]; found \['a', 'c'\]"),
        ("a,b\n", r"t\.csv: no rows"),
        ('a,b\n1,2\n3,4,5,6\n', r"t\.csv: malformed CSV"),
    ],
)
def test_unusable_files_raise_the_callers_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "t.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(StageError, match=message):
        read_frame(path, ("a", "b"), error=StageError, what="table file")


def test_a_good_file_is_read_with_the_callers_options(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n007,\n")
    frame = read_frame(path, ("a", "b"), error=StageError, dtype=str, keep_default_na=False)
    assert frame.to_dict("records") == [{"a": "007", "b": ""}]
