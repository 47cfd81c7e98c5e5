"""How an ECS run is named: clientToken, startedBy, the run-id tag, ARN pieces, tag lists.

Pure functions over strings: nothing here calls ECS.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["client_token", "started_by", "run_id_tag_value"]

_STARTED_BY_RE = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
_TOKEN_RE = re.compile(r"^[\x21-\x7e]{1,64}$")
# ECS tag values: letters, digits, spaces and + - = . _ : / @, up to 256 characters.
_TAG_VALUE_OK = re.compile(r"^[\w\s+\-=.:/@]{0,256}$", re.UNICODE)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def client_token(run_id: str) -> str:
    """The RunTask ``clientToken`` for a run: the run id itself when it is 1 to 64 printable
    ASCII characters, otherwise ``sha256-`` and 57 hex digits of its SHA-256.

    >>> client_token("9f1c2b")
    '9f1c2b'
    >>> t = client_token("x" * 65); len(t), t[:7]
    (64, 'sha256-')
    """
    if _TOKEN_RE.match(run_id):
        return run_id
    return "sha256-" + _sha(run_id)[:57]


def started_by(run_id: str) -> str:
    """The RunTask ``startedBy`` for a run (ECS allows 36 of ``[A-Za-z0-9_-]``): the run id
    when it fits, else ``compose-`` and 28 hex digits of its SHA-256.

    >>> started_by("6b1e4a52-8a60-4a2f-9a0e-0d9d5f1b3c77")
    '6b1e4a52-8a60-4a2f-9a0e-0d9d5f1b3c77'
    >>> started_by("flow run #7")
    'compose-0f3008fb262dd243fde52271134d'
    """
    if _STARTED_BY_RE.match(run_id):
        return run_id
    return "compose-" + _sha(run_id)[:28]


def run_id_tag_value(run_id: str) -> str:
    """The value of the run-id tag (:data:`compose.constants.RUN_ID_LABEL`) on a task.

    The run id itself when ECS accepts it as a tag value; otherwise the run id with the
    characters ECS refuses replaced by ``_``, cut to 239 characters, then ``-`` and 16 hex
    digits of the SHA-256 of the original, so different run ids keep different values.

    >>> run_id_tag_value("run-1")
    'run-1'
    >>> run_id_tag_value("a#b")[:4]
    'a_b-'
    """
    if _TAG_VALUE_OK.match(run_id):
        return run_id
    cleaned = re.sub(r"[^\w\s+\-=.:/@]", "_", run_id)[:239]
    return f"{cleaned}-{_sha(run_id)[:16]}"


def _cluster_of_task(task_arn: str) -> str | None:
    # New-format task ARNs name their cluster: arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID.
    resource = task_arn.split(":", 5)[-1] if task_arn.startswith("arn:") else ""
    parts = resource.split("/")
    if len(parts) == 3 and parts[0] == "task":
        return parts[1]
    return None


def _revision_of(td_arn: str) -> int:
    try:
        return int(td_arn.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        return -1


def _family_of(td_arn: str) -> str:
    return td_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def _tags_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(t.get("key")): str(t.get("value", "")) for t in tags or () if isinstance(t, Mapping)}


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]
