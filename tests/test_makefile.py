"""`make run` / `make test` on a machine without Python 3.10 stop at once, say how to get it in
Chinese and English, and leave nothing half-installed."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["run", "test"])
def test_missing_python_310_stops_with_a_bilingual_message(tmp_path, target):
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    result = subprocess.run(["make", target, "PY_CANDIDATES=/nonexistent/python3.10"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "未找到 Python 3.10" in result.stdout and "Python 3.10 not found" in result.stdout
    assert not (tmp_path / ".venv").exists()
