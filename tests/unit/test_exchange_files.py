"""Reading a registry file without a database: the encoding named, rows read line by line with a limit, a last row
cut short marked as such, the container told by its bytes (comparison/files.py)."""

import gzip

import pytest

from shebao.comparison import files
from shebao.core.errors import InvalidInput


def _payload(tmp_path, data: bytes, name="f.csv") -> files.Payload:
    path = tmp_path / name
    path.write_bytes(data)
    return files.open_payload(path, files.regular_file(path))


def test_the_encoding_read_is_named(tmp_path):
    assert files.scan_text(_payload(tmp_path, "编号\n".encode())).encoding == "utf-8"
    assert files.scan_text(_payload(tmp_path, b"\xef\xbb\xbf" + "编号".encode())).encoding == "utf-8-sig"
    assert files.scan_text(_payload(tmp_path, "编号".encode("gbk"))).encoding == "gbk"
    ascii_then_gbk = b"a,b\n" * 300_000 + "编号".encode("gbk")  # past the first chunk: the whole file decides
    assert files.scan_text(_payload(tmp_path, gzip.compress(ascii_then_gbk), "f.gz")).encoding == "gbk"
    for data in (b"\xef\xbb\xbf" + "编号".encode("gbk"), b"\xff\xfe\x00\x81\x81\xff"):
        with pytest.raises(InvalidInput) as refused:
            files.scan_text(_payload(tmp_path, data))
        assert refused.value.code == "exchange.encoding"


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_a_cut_last_row_is_marked(tmp_path):
    text = 'a,b\r\n1,"two\nlines"\r\n\r\n3,4\r\n5,"six'
    records = list(files.csv_records(_payload(tmp_path, text.encode()), "utf-8"))
    assert [(r.row, r.line, r.cells, r.cut) for r in records] == [
        (1, 1, ["a", "b"], None), (2, 2, ["1", "two\nlines"], None), (3, 4, [], None), (4, 5, ["3", "4"], None),
        (5, 6, ["5", "six"], "quote")]
    assert list(files.csv_records(_payload(tmp_path, b"a,b\n1,2"), "utf-8"))[-1].cut == "line"
    assert list(files.csv_records(_payload(tmp_path, b"a,b\n1,2\n"), "utf-8"))[-1].cut is None


def test_a_row_is_never_read_past_its_limit(tmp_path):
    long_line = b"a,b\n" + b"x" * (files.MAX_RECORD_CHARS + 1) + b"\n"
    with pytest.raises(InvalidInput) as refused:
        list(files.csv_records(_payload(tmp_path, long_line), "utf-8"))
    assert (refused.value.code, refused.value.details["line"]) == ("exchange.line_too_long", 2)
    value = b"a,b\n" + b"x" * (files.MAX_FIELD_CHARS + 1) + b",1\n"
    with pytest.raises(InvalidInput) as refused:
        list(files.csv_records(_payload(tmp_path, value), "utf-8"))
    assert refused.value.code == "exchange.unreadable_row"


def test_a_quote_still_open_at_the_end_is_told_from_a_quote_misplaced():
    assert files._inside_quote('1,"two') and files._inside_quote('1,"two\nthree')
    assert not files._inside_quote('1,"two"') and not files._inside_quote('1,tw"o') and not files._inside_quote('"ab"c,d')
