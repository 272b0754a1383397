"""Demo data says so: MAILFLOW_DEMO is parsed in config.py and the shell draws a DEMO badge only when it is set."""

from __future__ import annotations

import pytest

from components import shell
from config import ConfigError, Settings


def _ids(component) -> list:
    found = [getattr(component, "id", None)] + [getattr(component, "className", None)]
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found += _ids(child)
    return found


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("true", True), ("0", False), ("no", False)])
def test_mailflow_demo_flag(raw, expected):
    assert Settings.from_env({"MAILFLOW_DEMO": raw}).demo is expected
    assert Settings.from_env({}).demo is False


def test_a_bad_demo_flag_is_a_clear_error():
    with pytest.raises(ConfigError, match="MAILFLOW_DEMO='maybe'"):
        Settings.from_env({"MAILFLOW_DEMO": "maybe"})


def test_the_badge_shows_only_for_demo_data():
    assert "shell-demo" in _ids(shell.layout(demo=True)) and "demo-corner" in _ids(shell.layout(demo=True))
    assert "shell-demo" not in _ids(shell.layout()) and "demo-corner" not in _ids(shell.layout())
