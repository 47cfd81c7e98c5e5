"""compose.spec: the spec repo, its parameters and conditions, independent of any build.

Load once, then per build::

    spec = load_spec(root)                                   # validates everything, all problems at once
    sel = select(spec, [("agent", agent_md), ("run", run_md), parse_set(["memory=16Gi"])])
    sel.profile, sel.params.values, sel.overlays             # what to build
    template = compile_template(tree, declarations=spec.parameters)   # once per merged tree
    manifest = template.render(substitution_values(sel.params, RunContext(run_id="...")))

Modules, one concern each:

* :mod:`~compose.spec.quantity` - Kubernetes quantities, exact, canonical form, ECS conversions.
* :mod:`~compose.spec.names` - DNS-1123 / label / ECS names made valid, with a collision-proof hash.
* :mod:`~compose.spec.metadata` - metadata layers, deep merge with provenance, ``--set``, ``--metadata``.
* :mod:`~compose.spec.params` - typed parameter declarations, checking, coercion, resolution.
* :mod:`~compose.spec.conditions` - the ``when:`` language, compiled, with reasons.
* :mod:`~compose.spec.placeholders` - ``${name}`` found at load, substituted on the parsed tree.
* :mod:`~compose.spec.repo` - the ``compose.yaml`` model and loader.
* :mod:`~compose.spec.selection` - per-build profile, parameters and overlay decisions.

Nothing here imports kubernetes, boto3 or click.
"""

from __future__ import annotations

from ._problems import SpecInvalid
from .conditions import ALWAYS, Condition, compile_condition, parse_condition
from .metadata import MISSING, MergedMetadata, MetadataLayer, load_metadata_file, lookup_path, merge_layers, parse_set
from .names import dns1123_label, dns1123_subdomain, ecs_name, label_key, label_value
from .params import ParamDecl, ParameterError, ResolvedParams, parse_parameters, render_value, resolve
from .placeholders import (
    ECS_NAME_RULES,
    KUBERNETES_NAME_RULES,
    PlaceholderUse,
    RunContext,
    Template,
    check_placeholders,
    compile_template,
    find_placeholders,
    placeholder_names,
    substitution_values,
)
from .quantity import Quantity, QuantityError, as_quantity, parse_quantity, to_cpu_units, to_mib
from .repo import Overlay, Profile, SpecRepo, Target, load_spec, parse_spec
from .selection import OverlayDecision, Selection, select

__all__ = [
    "ALWAYS",
    "Condition",
    "ECS_NAME_RULES",
    "KUBERNETES_NAME_RULES",
    "MISSING",
    "MergedMetadata",
    "MetadataLayer",
    "Overlay",
    "OverlayDecision",
    "ParamDecl",
    "ParameterError",
    "PlaceholderUse",
    "Profile",
    "Quantity",
    "QuantityError",
    "ResolvedParams",
    "RunContext",
    "Selection",
    "SpecInvalid",
    "SpecRepo",
    "Target",
    "Template",
    "as_quantity",
    "check_placeholders",
    "compile_condition",
    "compile_template",
    "dns1123_label",
    "dns1123_subdomain",
    "ecs_name",
    "find_placeholders",
    "label_key",
    "label_value",
    "load_metadata_file",
    "load_spec",
    "lookup_path",
    "merge_layers",
    "parse_condition",
    "parse_parameters",
    "parse_quantity",
    "parse_set",
    "parse_spec",
    "placeholder_names",
    "render_value",
    "resolve",
    "select",
    "substitution_values",
    "to_cpu_units",
    "to_mib",
]
