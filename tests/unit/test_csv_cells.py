"""CSV export pieces that are pure logic: the formula neutraliser, the streamed lines with the row cap, the page
links to the export (issue 14, item 4)."""

import csv
import io
from urllib.parse import parse_qs, urlsplit

from api import csv_export
from components import reports


def test_text_starting_with_a_formula_character_gets_a_quote():
    for cell in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"http://e.example\")"):
        assert csv_export.neutralise(cell) == "'" + cell
    for cell in ("a=b", "1-2", "user@example.com", "", " =x"):
        assert csv_export.neutralise(cell) == cell
    assert csv_export.neutralise(-5) == -5 and csv_export.neutralise(None) == "" and csv_export.neutralise(True)


def test_lines_write_a_header_the_rows_and_say_when_the_cap_cut_them():
    batches = [[{"a": "=x", "b": 1}, {"a": None, "b": 2}], [], [{"a": "y,z", "b": 3}, {"a": "w", "b": 4}]]
    text = "".join(csv_export.lines(("a", "b"), batches, cap=3))
    body, comment = text.rsplit("\r\n#", 1)
    assert list(csv.reader(io.StringIO(body + "\r\n", newline=""))) == [
        ["a", "b"], ["'=x", "1"], ["", "2"], ["y,z", "3"]]
    assert comment.startswith(" truncated at 3 rows")
    assert "#" not in "".join(csv_export.lines(("a", "b"), batches[:1], cap=2))  # exactly the cap: not cut


def test_a_failing_batch_ends_the_file_with_a_comment():
    def batches():
        yield [{"a": 1}]
        raise OSError("connection lost")

    assert "".join(csv_export.lines(("a",), batches(), cap=10)).endswith("# export failed after 1 rows; retry or "
                                                                          "narrow the range\r\n")


def test_csv_links_carry_the_page_range_and_filters():
    url = urlsplit(reports.csv_href("?range=custom&from=2026-11-27T10:00&to=2026-11-27T12:00&refresh=30", "events",
                                   type="bounced", q="", node="mta-01"))
    assert url.path == "/api/v1/email/events"
    assert parse_qs(url.query) == {"from": ["2026-11-27T10:00:00Z"], "to": ["2026-11-27T12:00:00Z"],
                                   "type": ["bounced"], "node": ["mta-01"], "format": ["csv"]}
    assert parse_qs(urlsplit(reports.csv_href("?range=7d", "stats", by="provider")).query) == {
        "range": ["7d"], "by": ["provider"], "format": ["csv"]}
