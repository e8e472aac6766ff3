"""The house rules of docs/architecture.md that import-linter cannot see."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "jinpai"
# the entry points build the settings once and pass them down
READS_SETTINGS = ("settings.py", "cli/", "server/")


def test_only_the_entry_points_read_the_settings_from_the_environment() -> None:
    calls = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"\bget_settings\(\)", path.read_text(encoding="utf-8"))
    ]
    assert calls, "get_settings() is called nowhere: the test reads the wrong folder"
    assert [c for c in calls if not c.startswith(READS_SETTINGS)] == []


def test_no_profile_or_timezone_default_is_written_twice() -> None:
    literals = re.compile(r"""["'](taobao|Asia/Shanghai)["']""")
    found = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts and literals.search(path.read_text(encoding="utf-8"))
    ]
    # the defaults live in settings.py; the profiles' own table names them in metrics/rules.py;
    # the request models list the profiles a shop may choose
    assert sorted(found) == ["metrics/rules.py", "services/shop_settings.py", "settings.py"]
