"""runsmart.lean_imports.absent: a package is unimportable inside the block only, and one already imported is
left alone; a worker starts without the numpy and Babel that pint would load (workers/celery_app.py). The API
starts without the intervals.icu client, which only a calendar sync builds (composition/root.py)."""

from __future__ import annotations

import importlib
import sys

import pytest

from runsmart.lean_imports import absent
from tests.unit.fresh_interpreter import printed_by


def test_a_package_cannot_be_imported_inside_the_block_and_can_after_it() -> None:
    sys.modules.pop("colorsys", None)  # a small standard module, imported afresh below
    with absent("colorsys"), pytest.raises(ModuleNotFoundError):
        importlib.import_module("colorsys")
    assert importlib.import_module("colorsys").rgb_to_hsv(1.0, 0.0, 0.0)[0] == 0.0


def test_a_package_already_imported_is_left_as_it_is() -> None:
    import json

    with absent("json"):
        assert importlib.import_module("json") is json
    assert sys.modules["json"] is json


def test_the_worker_imports_stravalib_without_numpy_or_babel() -> None:
    # A fresh interpreter, as a worker process is: the worker_init handler runs before any task.
    code = (
        "import sys; from workers.celery_app import _import_stravalib; _import_stravalib();"
        "import stravalib, pint.compat;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'babel'}), pint.compat.HAS_NUMPY)"
    )
    assert printed_by(code) == ["[] False"]


def test_the_api_starts_without_the_intervals_icu_client_and_the_first_sync_builds_it() -> None:
    # A fresh interpreter, as the API process is: its container and app built as `webhooks.server` serves them.
    code = (
        "import sys; from workers.runtime import container; from webhooks.app import create_app;"
        "built = container(); create_app();"
        "client = {'notify.intervals_icu', 'planner.icu_workout_text'};"
        "print(sorted(client & set(sys.modules)));"
        "from composition.root import CalendarSender;"
        "sender = CalendarSender(built.settings, built.cipher);"
        "print(sender.calendar() is sender.calendar(), sorted(client & set(sys.modules)))"
    )
    assert printed_by(code) == ["[]", "True ['notify.intervals_icu', 'planner.icu_workout_text']"]
