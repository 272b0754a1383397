"""CSV answers of the query API: content negotiation (format=csv or Accept: text/csv), a streamed body written with
the standard csv module, and cells neutralised against formula injection.

A spreadsheet runs a cell that starts with = + - @ (and, in some, a tab or carriage return) as a formula, so an
SMTP response or address local part chosen by a remote sender could otherwise run in the operator's spreadsheet.
Such a text cell gets a leading single quote, as OWASP's "CSV Injection" page recommends; numbers are left alone.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime

from flask import Response, request, stream_with_context

from store.filters import FilterError

log = logging.getLogger(__name__)
FORMATS = ("json", "csv")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_TYPE = "text/csv"


def wants_csv(args: Mapping[str, str]) -> bool:
    """True for format=csv, or without format for an Accept header that prefers text/csv to JSON."""
    fmt = args.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            raise FilterError(f"format must be one of {', '.join(FORMATS)}")
        return fmt == "csv"
    return request.accept_mimetypes.best_match(["application/json", CSV_TYPE]) == CSV_TYPE


def neutralise(value) -> object:
    """A cell value safe to open in a spreadsheet: text starting with a formula character gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _chunk(rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return out.getvalue()


def lines(columns: Sequence[str], batches: Iterable[Iterable[Mapping]], cap: int) -> Iterator[str]:
    """The CSV text: a header row, then one chunk per batch of row dicts, at most `cap` rows. A trailing comment
    line says when the cap cut the export short or a later batch failed, so a partial file never looks whole."""
    yield _chunk([columns])
    written = 0
    try:
        for batch in batches:
            rows = [[row.get(c) for c in columns] for row in batch]
            room = cap - written
            yield _chunk(rows[:room])
            written += min(len(rows), room)
            if len(rows) > room:
                yield f"# truncated at {cap} rows (the export cap); narrow the range or the filters\r\n"
                return
    except Exception:  # the status line is already sent: say so in the file instead of ending it silently
        log.exception("CSV export failed after %d rows", written)
        yield f"# export failed after {written} rows; retry or narrow the range\r\n"


def _stamp(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def filename(kind: str, start: datetime, end: datetime) -> str:
    """`mailflow-<kind>-<start>-<end>.csv` with compact UTC times (no characters a file system refuses)."""
    return f"mailflow-{kind}-{_stamp(start)}-{_stamp(end)}.csv"


def response(name: str, columns: Sequence[str], batches: Iterable[Iterable[Mapping]], cap: int) -> Response:
    """A streamed text/csv attachment; the row cap is stated in X-Row-Cap."""
    body = stream_with_context(line.encode() for line in lines(columns, batches, cap))
    return Response(body, mimetype=CSV_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Row-Cap": str(cap), "Vary": "Accept"})
