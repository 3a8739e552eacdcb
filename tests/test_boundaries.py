"""Rule 1 of the design: only the API server touches the store.

Every module outside the API server layer (``cluster/api``, ``cluster/store``)
and the store's own tools (etcdctl, snapshots, the store benchmark) is parsed,
and none may import ``cluster.store`` or the store's tables in ``cluster.models``.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = (
    "cluster/api/",
    "cluster/store/",
    "cluster/etcdctl/",
    "cluster/bench/",
    "cluster/migrations/",
    "cluster/management/commands/etcdctl.py",
    "cluster/models.py",
)
STORE_MODELS = {"KeyValue", "ChangeEvent", "Lease", "StoreMeta"}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "cluster.store" or alias.name.startswith("cluster.store."):
                    found.append(f"import {alias.name}")
                if alias.name == "cluster.models":
                    found.append("import cluster.models")
        elif isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            if module == "cluster.store" or module.startswith("cluster.store."):
                found.append(f"from {module} import …")
            if module == "cluster" and any(a.name in ("store", "models") for a in node.names):
                found.append("from cluster import store/models")
            if module == "cluster.models" and {a.name for a in node.names} & STORE_MODELS:
                found.append(f"from cluster.models import {', '.join(a.name for a in node.names)}")
    return found


def test_only_the_api_server_touches_the_store() -> None:
    offenders = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv/", "tests/")) or relative.startswith(ALLOWED):
            continue
        violations = _violations(path)
        if violations:
            offenders[relative] = violations
    assert offenders == {}, f"modules outside the API server touch the store: {offenders}"


def test_the_check_catches_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "controller.py"
    sample.write_text("from cluster.store import get_store\nfrom cluster.models import KeyValue\n")
    assert len(_violations(sample)) == 2
