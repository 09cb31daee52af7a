"""The acoustics package stays framework-free (STYLE principle 6)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import jingzhi.acoustics

PACKAGE = Path(jingzhi.acoustics.__file__).parent
#: PyAV decodes the streams and sound cards of ``noise meter`` (stream.py); paho-mqtt publishes its events
#: (publish.py). Neither is a framework: the rule is no Django (checked below).
ALLOWED_THIRD_PARTY = {"numpy", "scipy", "soundfile", "pydantic", "av", "paho"}


def test_no_module_imports_anything_but_numpy_scipy_soundfile_pydantic():
    stdlib = set(sys.stdlib_module_names)
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            offenders += [(path.name, r) for r in roots if r not in stdlib and r not in ALLOWED_THIRD_PARTY]
    assert offenders == []


def test_importing_the_package_loads_no_django():
    code = "import sys, jingzhi.acoustics.cli; sys.exit(any(m.split('.')[0] == 'django' for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
