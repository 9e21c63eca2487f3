"""analytics/ is pure Python: importing all of it never brings in streamlit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_importing_every_analytics_module_does_not_import_streamlit() -> None:
    modules = sorted(
        ".".join(p.relative_to(PROJECT).with_suffix("").parts)
        for p in (PROJECT / "analytics").rglob("*.py")
        if p.name != "__main__.py"
    )
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    assert len(modules) > 5
