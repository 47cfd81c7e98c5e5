"""Names shared across layers: labels, annotations and tags compose puts on what it submits."""

from __future__ import annotations

#: The file that makes a directory a spec repo.
SPEC_FILE = "compose.yaml"
#: Label (Kubernetes) and tag (ECS) carrying the run id, sanitized to label-value syntax.
RUN_ID_LABEL = "compose.dev/run-id"
#: Annotation carrying the run id verbatim (label values are length- and charset-limited).
RUN_ID_ANNOTATION = "compose.dev/run-id"
#: Label / tag naming the flow.
FLOW_NAME_LABEL = "compose.dev/flow-name"
#: Label / tag naming the deployment.
DEPLOYMENT_LABEL = "compose.dev/deployment"
#: ECS task definition tag holding the hash of the canonical task definition.
SPEC_HASH_TAG = "compose.dev/spec-hash"
#: Default name of the container that runs the flow ("the flow container").
DEFAULT_FLOW_CONTAINER = "flow"
