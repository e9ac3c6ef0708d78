"""The layers' import rules, enforced by the import-linter contracts in pyproject.toml.

``hub/`` is the core: it imports none of ``web/``, ``channels/``, Litestar or arq, so the domain and
its use-cases run (and are tested) without a web framework or a job queue. ``channels/`` adapt the
outside world to the core and import neither ``web/`` nor Litestar.

The first test checks the real code. The second plants a violation in a throwaway copy of the
package layout and runs the same contracts, so weakening the contract (or a linter that silently
checks nothing) fails here too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, *, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(PYPROJECT)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_core_forbids_every_outer_layer_and_framework() -> None:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    core = [c for c in config["contracts"] if c["source_modules"] == ["hub"]]
    assert len(core) == 1 and core[0]["type"] == "forbidden"
    assert {"web", "channels", "litestar", "arq"} <= set(core[0]["forbidden_modules"])
    assert config["include_external_packages"] is True  # else litestar and arq are never seen


def test_the_code_keeps_its_contracts() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _package(root: Path, name: str, body: str = "") -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text(body)


def test_a_core_module_importing_the_web_framework_breaks_the_build(tmp_path: Path) -> None:
    for name in ("channels", "web"):
        _package(tmp_path, name)
    _package(tmp_path, "hub")
    (tmp_path / "hub" / "sneaky.py").write_text("import litestar\nimport arq\nfrom web import app\n")
    (tmp_path / "web" / "app.py").write_text("import hub.sneaky\n")
    result = _lint(tmp_path, pythonpath=tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr
    out = result.stdout
    assert "hub is the core" in out and "BROKEN" in out
    for forbidden in ("hub.sneaky -> litestar", "hub.sneaky -> arq", "hub.sneaky -> web.app"):
        assert forbidden in out, out
