"""Rewrite ``compose/merge/ECS_MERGE.md`` from the ECS merge table: ``python -m compose.merge.gen_ecs_doc``."""

from __future__ import annotations

from .ecs_table import DOC_PATH, render_markdown


def main() -> int:
    DOC_PATH.write_text(render_markdown(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
