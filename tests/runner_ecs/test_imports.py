"""The ECS runner modules load without boto3/botocore (the build path must not pay for them)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_runner_loads_no_aws_sdk():
    code = (
        "import sys, compose.runner.ecs, compose.runner._canonical\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'kubernetes'))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
