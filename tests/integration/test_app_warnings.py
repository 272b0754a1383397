"""Starting the app warns about nothing deprecated (issue 15.5: Dash 4 deprecated `dash_table.DataTable`).

The app is built in a child process, as `wsgi.py` builds it at start, so the warnings Dash and the components emit
while the app and its page layouts are built are all captured (this process already holds a Dash app, and a
warning is shown once per place). Every page layout is drawn, the admin page as an admin, because components are
instantiated (and warn) when a layout is drawn, not when the module is imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
BUILD = """
import json, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import dash
    from flask import g
    from app import create_app
    from components import admin
    from tests.support import make_settings
    from webauth.identity import Identity
    server = create_app(make_settings())
    drawn = []
    with server.test_request_context("/"):
        g.identity = Identity(kind="user", name="admin", role="admin", user_id=1, session_id=1)
        for page in dash.page_registry.values():
            layout = page["layout"]
            drawn.append(layout() if callable(layout) else layout)
        drawn.append(admin.table("dead", [{"queue": "q", "failed_jobs": 2}], ["queue", "failed_jobs"]))
grids = sum(1 for d in drawn for c in ([d] + list(d._traverse())) if type(c).__name__ == "AgGrid")
print(json.dumps({"grids": grids, "pages": len(drawn) - 1, "warnings": [
    {"category": w.category.__name__, "file": w.filename, "message": str(w.message)[:300]} for w in caught]}))
"""


def _ours_or_dash(warning: dict) -> bool:
    """A deprecation raised in our own code or by Dash and its component packages."""
    path = warning["file"]
    own = path.startswith(str(ROOT)) and "/.venv/" not in path and "site-packages" not in path
    dash = any(f"site-packages/{p}/" in path for p in ("dash", "dash_table", "dash_ag_grid",
                                                        "dash_bootstrap_components"))
    return own or dash or "dash_table" in warning["message"]


def test_starting_the_app_raises_no_deprecation_warning_from_dash_or_our_code(engine):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="")
    done = subprocess.run([sys.executable, "-c", BUILD], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["pages"] >= 6 and report["grids"] >= 4  # every page was drawn, the grids among them
    deprecated = [w for w in report["warnings"] if w["category"] in ("DeprecationWarning", "PendingDeprecationWarning",
                                                                     "FutureWarning") and _ours_or_dash(w)]
    assert deprecated == []
