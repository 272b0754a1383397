"""Data grids: one builder for every table on the dashboard (dash-ag-grid), with the house defaults.

Every grid sorts by any column, can filter (a filter row under the header), pages when asked, fits its columns to
the card, right-aligns and formats numbers, and takes its colours and type size from the page's Bootstrap theme
(light, dark, and the kiosk's larger type via `--mf-grid-font-size` in assets/mailflow.css), so it follows the Dark
switch without a redraw. Cells are drawn as text by AG Grid's default renderer, never as HTML: no column here sets a
cell renderer, and dash-ag-grid refuses code strings it was not told to allow, so a hostile label cannot inject
markup. The value formatters below are expressions dash-ag-grid evaluates safely (no `eval`, so no CSP exception).

Usage: `grid("perf-domains", [column("key", "Domain"), column("total", "Events", "count")], page_size=15,
row_id="key")`; a callback reads clicks from the grid's `cellClicked` property (`colId`, `rowId`, `value`).
"""

from __future__ import annotations

import dash_ag_grid as dag

# d3-format specifiers per kind of number; a missing value stays an empty cell
_FORMATS = {"count": ",d", "number": ",.2f", "percent": ".1f"}
KINDS = ("text", *_FORMATS)
# colours and type from Bootstrap's variables, so light/dark/kiosk need no second theme
THEME = {"function": "themeQuartz.withParams({"
                     "backgroundColor: 'var(--bs-body-bg)', foregroundColor: 'var(--bs-body-color)', "
                     "headerBackgroundColor: 'var(--bs-tertiary-bg)', borderColor: 'var(--bs-border-color)', "
                     "accentColor: 'var(--bs-primary)', fontFamily: 'var(--bs-body-font-family)', "
                     "fontSize: 'var(--mf-grid-font-size, 14px)', headerFontWeight: 600, spacing: 6, "
                     "wrapperBorderRadius: 6})"}


def _formatter(spec: str) -> dict:
    return {"function": f"params.value == null ? '' : d3.format('{spec}')(params.value)"}


def column(field: str, header: str, kind: str = "text", **options) -> dict:
    """A column definition: `kind` is text, count (1,234), number (1,234.56) or percent (12.3); `options` are
    extra AG Grid column properties (e.g. `cellClass`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown column kind {kind!r}; use one of {KINDS}")
    if kind == "text":
        return {"field": field, "headerName": header, "filter": "agTextColumnFilter", **options}
    return {"field": field, "headerName": header, "type": "rightAligned", "filter": "agNumberColumnFilter",
            "cellDataType": "number", "valueFormatter": _formatter(_FORMATS[kind]), **options}


def grid(id_: str, columns: list[dict], rows: list[dict] | None = None, *, page_size: int | None = None,
         row_id: str | None = None, filters: bool = True) -> dag.AgGrid:
    """A grid of `rows` (list of dicts keyed by column field; None when a callback fills `rowData` later).
    `page_size` pages longer lists; `row_id` names the field whose value identifies a row (it comes back as `rowId`
    in `cellClicked`); `filters` adds the filter row. The grid is as tall as its rows (no inner scrolling)."""
    options = {"theme": THEME, "domLayout": "autoHeight", "animateRows": False, "enableCellTextSelection": True}
    if page_size and (rows is None or len(rows) > page_size):  # rows known now and all on one page: no pager
        options.update(pagination=True, paginationPageSize=page_size, paginationPageSizeSelector=False)
    if not filters:
        columns = [{**c, "filter": False} for c in columns]
    extra = {"getRowId": f"params.data.{row_id}"} if row_id else {}
    return dag.AgGrid(
        id=id_, columnDefs=columns, rowData=rows if rows is not None else [], columnSize="responsiveSizeToFit",
        defaultColDef={"sortable": True, "resizable": True, "floatingFilter": filters, "minWidth": 80,
                       "suppressHeaderMenuButton": True},
        dashGridOptions=options, style={"height": None}, className="mf-grid",
        dangerously_allow_code=False, **extra)
