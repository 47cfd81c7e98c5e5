"""The committed patch-metadata table: derived from kubernetes-validate, small, lazy and fast."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from compose.merge import gen_schema

PY = sys.executable


def test_committed_table_is_regenerated_exactly() -> None:
    pytest.importorskip("kubernetes_validate")
    assert gen_schema.OUTPUT.read_text(encoding="utf-8") == gen_schema.generate()


def test_table_facts() -> None:
    table = json.loads(gen_schema.OUTPUT.read_text(encoding="utf-8"))
    pod = table["defs"]["api.core.v1.PodSpec"]
    assert pod["containers"]["k"] == "name" and pod["containers"]["s"] == "merge"
    assert pod["volumes"]["s"] == "merge,retainKeys"
    assert pod["hostAliases"]["k"] == "ip"
    assert pod["topologySpreadConstraints"]["k"] == "topologyKey"
    assert "s" not in pod["tolerations"]
    assert table["defs"]["api.core.v1.Container"]["ports"]["mk"] == ["containerPort", "protocol"]
    assert table["defs"]["apimachinery.pkg.apis.meta.v1.ObjectMeta"]["finalizers"]["s"] == "merge"
    assert table["kinds"]["batch/v1/Job"] == "api.batch.v1.Job"
    assert table["kinds"]["batch/v1/CronJob"] == "api.batch.v1.CronJob"
    assert "api.core.v1.PodSpec.schedulingGates" in table["kustomize_atomic"]
    assert "api.core.v1.PodSpec.containers" not in table["kustomize_atomic"]


def test_table_is_small() -> None:
    assert gen_schema.OUTPUT.stat().st_size < 250_000


def _fresh(code: str) -> str:
    out = subprocess.run([PY, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_import_is_lazy_and_light() -> None:
    """Importing compose.merge reads no schema and imports neither kubernetes nor boto3."""
    out = _fresh(
        """
        import sys
        import compose.merge
        from compose.merge import schema
        print(schema._table is None, any(m.split('.')[0] in ('kubernetes', 'boto3', 'botocore',
              'kubernetes_validate', 'click') for m in sys.modules))
        """
    )
    assert out == "True False"


def test_table_loads_once_and_is_shared() -> None:
    """Loaded on first use, then shared (its load time belongs in a bench script, not here:
    a timed assertion fails on a loaded machine)."""
    out = _fresh(
        """
        from compose.merge import schema
        first = schema.table()
        print(schema._table is first, schema.table() is first, len(first["kinds"]) > 50)
        """
    )
    assert out == "True True True"


def test_generator_cli_writes_a_file(tmp_path) -> None:
    pytest.importorskip("kubernetes_validate")
    target = tmp_path / "t.json"
    assert gen_schema.main(["--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == gen_schema.OUTPUT.read_text(encoding="utf-8")
