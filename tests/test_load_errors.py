"""What the load layer says before and when locust cannot run: in process, locust not imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.load.classes import missing_user_classes, top_level_names
from harness.load.runner import BUILTIN_LOCUSTFILE, locust_error

pytestmark = pytest.mark.unit


def test_the_built_in_locustfile_defines_the_documented_users() -> None:
    assert {"FrontDeskStaff", "AppPatient", "EhacTraveller"} <= top_level_names(BUILTIN_LOCUSTFILE)


def test_imported_and_assigned_names_count_as_defined(tmp_path: Path) -> None:
    path = tmp_path / "load.py"
    path.write_text(
        "import os.path\nfrom shop import Buyer as Customer, Seller\nWalkIn = Customer\n"
        "Count: int = 3\n\ndef helper():\n    class Hidden: ...\n"
    )
    assert top_level_names(path) == {"os", "Customer", "Seller", "WalkIn", "Count"}
    assert missing_user_classes(path, ["Customer", "WalkIn"]) is None
    why = missing_user_classes(path, ["Customer", "Hidden"])
    assert why is not None
    assert why.startswith("load.users names Hidden, which ")
    assert "(it has: Count, Customer, Seller, WalkIn)" in why


def test_an_unreadable_locustfile_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("class Oops(\n")
    why = missing_user_classes(broken, ["Oops"])
    assert why is not None
    assert "is not valid Python (line 1)" in why
    gone = missing_user_classes(tmp_path / "gone.py", ["X"])
    assert gone is not None
    assert "cannot be read" in gone
    assert "\n" not in gone


def test_locusts_own_error_line_is_picked_from_its_output() -> None:
    output = (
        "[2026-12-02 05:00:00] host/INFO/locust.main: Starting Locust 2.x\n"
        "Traceback (most recent call last):\n"
        '  File "load.py", line 3, in <module>\n'
        "ModuleNotFoundError: No module named 'shop'\n"
    )
    assert locust_error(output) == "ModuleNotFoundError: No module named 'shop'"
    assert locust_error("just this\n") == "just this"
    assert locust_error("") == "it printed nothing"
