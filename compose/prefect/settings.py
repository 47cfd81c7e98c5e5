"""The worker's per-process settings: Prefect's environment for flow runs, and spec repos.

**Prefect's environment.** Prefect's workers copy every *set* Prefect setting of the worker
process into each flow run (``get_current_settings().to_environment_variables()``, ~90 % of
Prefect's per-run cost, and the reason a worker's ``PREFECT_HOME`` lands in every Job). The
compose worker computes it once per process (per settings object) and passes on only the
names in an allowlist: ``COMPOSE_PREFECT_ENV_ALLOWLIST``, comma-separated names or shell
patterns (``PREFECT_LOGGING_*``); ``*`` passes everything, as Prefect does. Default:
:data:`DEFAULT_ENV_ALLOWLIST` (how to reach and authenticate to the API, client and logging
settings).

**Spec repos.** A spec repo is a directory on the worker's disk, loaded and warmed once per
process (:func:`composer_for`). The pool's own ``spec_repo`` is trusted (the pool admin set
it); one supplied by a deployment or a flow run must resolve under a root listed in
``COMPOSE_PREFECT_SPEC_ROOTS`` (``os.pathsep``-separated), else the run is refused.
"""

from __future__ import annotations

import fnmatch
import os
import threading
from pathlib import Path
from typing import Any

from compose.errors import SpecError

__all__ = [
    "DEFAULT_ENV_ALLOWLIST",
    "ENV_ALLOWLIST_VARIABLE",
    "SPEC_ROOTS_VARIABLE",
    "settings_environment",
    "env_allowlist",
    "composer_for",
    "check_spec_repo",
]

ENV_ALLOWLIST_VARIABLE = "COMPOSE_PREFECT_ENV_ALLOWLIST"
SPEC_ROOTS_VARIABLE = "COMPOSE_PREFECT_SPEC_ROOTS"

#: What reaches flow runs by default: the API and its credentials, client and logging settings.
DEFAULT_ENV_ALLOWLIST = (
    "PREFECT_API_URL",
    "PREFECT_API_KEY",
    "PREFECT_API_AUTH_STRING",
    "PREFECT_API_SSL_CERT_FILE",
    "PREFECT_API_TLS_INSECURE_SKIP_VERIFY",
    "PREFECT_API_REQUEST_TIMEOUT",
    "PREFECT_CLIENT_*",
    "PREFECT_LOGGING_*",
    "PREFECT_DEBUG_MODE",
)

_lock = threading.Lock()
_env_cache: tuple[Any, tuple[str, ...], dict[str, str]] | None = None
_composers: dict[Path, Any] = {}


def env_allowlist() -> tuple[str, ...]:
    """The allowlist in force: ``COMPOSE_PREFECT_ENV_ALLOWLIST`` or the default."""
    raw = os.environ.get(ENV_ALLOWLIST_VARIABLE)
    if raw is None or not raw.strip():
        return DEFAULT_ENV_ALLOWLIST
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def _allowed(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def settings_environment() -> dict[str, str]:
    """Prefect's settings environment, allowlisted, computed once per settings object.

    Returns a new dict each call (callers may change it).
    """
    global _env_cache
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    patterns = env_allowlist()
    cached = _env_cache
    if cached is not None and cached[0] is settings and cached[1] == patterns:
        return dict(cached[2])
    with _lock:
        full = settings.to_environment_variables(exclude_unset=True)
        env = {k: v for k, v in full.items() if v is not None and _allowed(k, patterns)}
        _env_cache = (settings, patterns, env)
    return dict(env)


def _roots() -> list[Path]:
    raw = os.environ.get(SPEC_ROOTS_VARIABLE, "")
    return [Path(p).resolve() for p in raw.split(os.pathsep) if p.strip()]


def check_spec_repo(path: str, *, trusted: str | None) -> Path:
    """The spec repo directory to use for ``path``, refusing one outside the allowlist.

    Args:
        path: the ``spec_repo`` job variable.
        trusted: the work pool's own ``spec_repo`` default (always allowed), if any.

    Raises:
        SpecError: ``path`` is not the pool's and lies under no root of
            ``COMPOSE_PREFECT_SPEC_ROOTS``.
    """
    if not isinstance(path, str) or not path:
        raise SpecError("job variable 'spec_repo' is not set: give the work pool a spec repo", step="prefect")
    resolved = Path(path).expanduser().resolve()
    if trusted is not None and resolved == Path(trusted).expanduser().resolve():
        return resolved
    roots = _roots()
    if any(resolved == root or root in resolved.parents for root in roots):
        return resolved
    allowed = ", ".join(str(r) for r in roots) or "none: the variable is unset"
    raise SpecError(
        f"spec repo {path!r} (set by the deployment or flow run) is outside the worker's allowed roots "
        f"({SPEC_ROOTS_VARIABLE}: {allowed})",
        step="prefect",
    )


def composer_for(root: Path) -> Any:
    """The :class:`~compose.Composer` of ``root``, loaded and warmed once per process.

    Raises:
        SpecError: the spec repo does not load (the error names the file and line).
    """
    composer = _composers.get(root)
    if composer is not None:
        return composer
    with _lock:
        composer = _composers.get(root)
        if composer is None:
            from compose import Composer

            composer = Composer.load(root)
            composer.warm()
            _composers[root] = composer
    return composer


def forget() -> None:
    """Drop the cached environment and composers (tests; a worker never needs it)."""
    global _env_cache
    with _lock:
        _env_cache = None
        _composers.clear()
