"""The grid builder's defaults (components/grid.py), the admin tables built on it, and the sessions card's End
click test."""

import pytest

from components import admin
from components.grid import KINDS, column, grid
from pages._admin_sessions import _clicked_end


def test_numbers_are_right_aligned_formatted_and_filtered_as_numbers():
    for kind in KINDS[1:]:
        col = column("n", "N", kind)
        assert col["type"] == "rightAligned" and col["filter"] == "agNumberColumnFilter"
        assert "d3.format(" in col["valueFormatter"]["function"] and "== null ? ''" in col["valueFormatter"]["function"]
    assert column("t", "T") == {"field": "t", "headerName": "T", "filter": "agTextColumnFilter"}
    with pytest.raises(ValueError, match="unknown column kind"):
        column("x", "X", "html")


def test_cells_are_text_sortable_and_paged_on_request():
    rows = [{"a": f"<b>{i}</b>", "n": i} for i in range(6)]
    g = grid("g", [column("a", "A"), column("n", "N", "count")], rows, page_size=5, row_id="a")
    assert not g.dangerously_allow_code and all("cellRenderer" not in c for c in g.columnDefs)
    assert g.defaultColDef["sortable"] and g.defaultColDef["floatingFilter"]
    assert g.dashGridOptions["pagination"] and g.dashGridOptions["paginationPageSize"] == 5
    assert g.getRowId == "params.data.a" and g.rowData == rows
    assert "pagination" not in grid("f", g.columnDefs, rows[:5], page_size=5).dashGridOptions  # fits one page
    assert grid("later", g.columnDefs, page_size=5).dashGridOptions["pagination"]  # rows come from a callback
    plain = grid("h", [column("a", "A")], filters=False)
    assert "pagination" not in plain.dashGridOptions and plain.columnDefs[0]["filter"] is False
    assert not hasattr(plain, "getRowId") or plain.getRowId is None


def test_admin_table_keeps_counts_numeric_and_everything_else_text():
    g = admin.table("dead", [{"queue": "email-events", "failed_jobs": 3}, {"queue": None, "failed_jobs": 0}],
                    ["queue", "failed_jobs"])
    assert g.id == "admin-dead-table"
    assert g.rowData == [{"queue": "email-events", "failed_jobs": 3}, {"queue": "", "failed_jobs": 0}]
    assert [c.get("type") for c in g.columnDefs] == [None, "rightAligned"]


def test_only_a_click_on_another_sessions_end_cell_ends_it():
    assert _clicked_end({"colId": "end", "rowId": "7", "value": "End"}, own_id=3)
    assert not _clicked_end({"colId": "end", "rowId": "3", "value": "this session"}, own_id=3)
    assert not _clicked_end({"colId": "who", "rowId": "7"}, own_id=3)
    assert not _clicked_end({"colId": "end", "rowId": "7; drop"}, own_id=3)
    assert not _clicked_end(None, own_id=3)
