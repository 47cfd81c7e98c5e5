"""Loading a Kubernetes client configuration: a kubeconfig or the pod's service account."""

from __future__ import annotations

import os
from typing import Any

from compose.errors import SubmitError

#: Where Kubernetes mounts a pod's service account token, CA and namespace.
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def load_config(
    kubeconfig: str | os.PathLike[str] | None,
    context: str | None,
    in_cluster: bool | None,
    sa_dir: str,
) -> tuple[Any, str, str]:
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    path = os.fspath(kubeconfig) if kubeconfig else None
    default_path = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    if in_cluster is None:
        has_file = any(os.path.exists(p) for p in (path or default_path).split(os.pathsep) if p)
        if path or context or has_file:
            in_cluster = False
        elif os.environ.get("KUBERNETES_SERVICE_HOST"):
            in_cluster = True
        else:
            raise SubmitError(
                f"no Kubernetes configuration: no kubeconfig at {default_path} and not "
                "running in a cluster (KUBERNETES_SERVICE_HOST unset)",
                step="submit",
            )
    cfg = client.Configuration()
    try:
        if in_cluster:
            from kubernetes.config.incluster_config import InClusterConfigLoader

            InClusterConfigLoader(
                token_filename=os.path.join(sa_dir, "token"),
                cert_filename=os.path.join(sa_dir, "ca.crt"),
            ).load_and_set(cfg)
            namespace = "default"
            ns_file = os.path.join(sa_dir, "namespace")
            if os.path.isfile(ns_file):
                with open(ns_file, encoding="utf-8") as fh:
                    namespace = fh.read().strip() or "default"
            source = "in-cluster service account"
        else:
            path = path or default_path
            config.load_kube_config(
                config_file=path, context=context, client_configuration=cfg, persist_config=False
            )
            contexts, current = config.list_kube_config_contexts(config_file=path)
            chosen = current
            if context:
                chosen = next((c for c in contexts if c.get("name") == context), None)
            namespace = ((chosen or {}).get("context") or {}).get("namespace") or "default"
            source = f"kubeconfig {path}" + (f" context {context}" if context else "")
    except ConfigException as exc:
        where = "the in-cluster service account" if in_cluster else f"kubeconfig {path}"
        raise SubmitError(f"cannot load Kubernetes configuration from {where}: {exc}", step="submit") from exc
    except OSError as exc:
        raise SubmitError(f"cannot read Kubernetes configuration: {exc}", step="submit") from exc
    # Our retry layer decides what is safe to repeat; urllib3 must not retry on its own.
    cfg.retries = False
    return client.ApiClient(configuration=cfg), namespace, source
