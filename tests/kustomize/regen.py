"""(Re)write ``expected.yaml`` of conformance cases from ``kubectl kustomize``.

Check the new output by eye before committing it: the expected files are the contract.

Usage::

    python tests/kustomize/regen.py tests/kustomize/cases/patches/inline_strategic_no_target
    python tests/kustomize/regen.py --all patches errors   # every case of these features
    python tests/kustomize/regen.py --missing patches      # only cases without expected.yaml

``--all`` and ``--missing`` need the feature directories to touch, so that one feature's owner
does not rewrite another's expectations by accident.

A case with ``error.txt`` gets no expected output; the script only reports whether kubectl
fails on it, as it must.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CASES = Path(__file__).parent / "cases"


def build_dir(case: Path) -> Path:
    return case / "overlay" if (case / "overlay").is_dir() else case


def all_cases(features: list[str]) -> list[Path]:
    return sorted(p for f in features for p in (CASES / f).iterdir() if p.is_dir())


def regen(case: Path) -> int:
    flags = (case / "flags.txt").read_text().split() if (case / "flags.txt").exists() else []
    proc = subprocess.run(["kubectl", "kustomize", *flags, str(build_dir(case))], capture_output=True, text=True)
    if (case / "error.txt").exists():
        state = "fails (ok)" if proc.returncode else "SUCCEEDS (the case expects an error)"
        print(f"{case}: kubectl {state}")
        return 0 if proc.returncode else 1
    if proc.returncode:
        print(f"{case}: kubectl failed:\n{proc.stderr}", file=sys.stderr)
        return 1
    (case / "expected.yaml").write_text(proc.stdout)
    print(f"{case}: wrote expected.yaml")
    return 0


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    if argv[0] in ("--all", "--missing"):
        if len(argv) < 2:
            print("name the feature directories to regenerate", file=sys.stderr)
            return 2
        cases = all_cases(argv[1:])
        if argv[0] == "--missing":
            cases = [c for c in cases if not (c / "expected.yaml").exists()]
    else:
        cases = [Path(a) for a in argv]
    return max([regen(c) for c in cases] or [0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
