"""Each module that holds tables (and the settings the models' neighbours read) imports on its own, first, in a
fresh interpreter: a script or a worker may start from any of them. engine.models imports these modules at its end,
so a cycle shows only when one of them comes first."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", [
    "engine.attachments", "engine.settings_store", "engine.operations.records", "engine.enforcement.records",
    "engine.evaluation.rollups", "engine.evaluation.passages", "engine.evaluation.indicators", "engine.case_numbers",
])
def test_module_imports_first(module):
    done = subprocess.run([sys.executable, "-c", f"import {module}; import engine.models as m; "
                                                 "print(sorted(m.Base.metadata.tables))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "'attachment'" in done.stdout and "'evaluation_fact'" in done.stdout  # every table registered
