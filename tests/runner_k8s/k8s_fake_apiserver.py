"""A small stand-in for the Kubernetes API server, for the runner's tests.

It answers, over real HTTP on 127.0.0.1, the paths the runner uses:

- ``POST /apis/batch/v1/namespaces/{ns}/jobs`` (``?dryRun=All`` validates and admits, stores nothing)
- ``GET  /apis/batch/v1/namespaces/{ns}/jobs`` (``labelSelector``, ``fieldSelector=metadata.name=``;
  with ``watch=true``: a chunked stream of JSON-line watch events from ``resourceVersion``,
  ``ERROR`` 410 Expired for a compacted version, bookmarks, ``timeoutSeconds``)
- ``GET / DELETE /apis/batch/v1/namespaces/{ns}/jobs/{name}`` (``propagationPolicy`` in the query
  or in the DeleteOptions body)
- ``GET /api/v1/namespaces/{ns}/pods?labelSelector=job-name=...``
- ``GET /api/v1/namespaces/{ns}/pods/{name}/log?container=...&follow=true`` (chunked text)

Errors are ``Status`` objects shaped as k8s.io/apimachinery builds them (NotFound, AlreadyExists,
Forbidden with the RBAC authorizer's wording, Invalid with ``details.causes``, TooManyRequests,
InternalError, Timeout, Expired), with the matching HTTP codes. Bearer-token auth is checked.

Faults are injected per method and path (``inject``), and a tiny "controller" moves Jobs along
(``start_job``, ``add_log``, ``finish_job``), the way the Job controller and kubelet would.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JOBS = re.compile(r"^/apis/batch/v1/namespaces/(?P<ns>[^/]+)/jobs(?:/(?P<name>[^/]+))?$")
PODS = re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods(?:/(?P<name>[^/]+)(?P<log>/log)?)?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def now_iso(offset: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A metav1.Status as the API server serializes it."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is not None:
        body["details"] = details
    return body


#: Canned bodies for injected status faults, as apimachinery words them.
CANNED = {
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: etcdserver: leader changed"),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: ("Timeout", "Timeout: request did not complete within requested timeout - context deadline exceeded"),
}


@dataclass
class Fault:
    """One injected misbehaviour, used ``times`` times on matching requests.

    Actions:
        ``status``: answer ``status`` with a Status body (and ``retry_after`` header if set).
        ``reset``: close the connection with a TCP reset before answering.
        ``sleep``: wait ``delay`` seconds, then answer normally.
        ``drop_response``: do the work (store the Job, ...), then reset instead of answering.
        ``commit_then_status``: do the work, then answer ``status`` (a 504 after a write).
        ``slow_commit``: do the work, then wait ``delay`` seconds before answering.
        ``drop_watch``: on a watch, send ``after_events`` events, then cut the stream.
        ``gone``: on a watch, send an ERROR event with a 410 Expired Status.
        ``pass``: nothing; only ``before`` runs.

    ``before``, if set, is called in the handler thread before the request is served, so a
    test can change the server's state at an exact point of the exchange.
    """

    method: str
    path: str
    action: str
    times: int = 1
    status: int = 500
    retry_after: str | None = None
    delay: float = 0.0
    after_events: int = 0
    watch: bool | None = None
    before: Any = None
    used: int = 0

    def matches(self, method: str, path: str, is_watch: bool) -> bool:
        if self.used >= self.times or method != self.method:
            return False
        if self.watch is not None and self.watch != is_watch:
            return False
        return re.fullmatch(self.path, path) is not None


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    fault: str | None = None


@dataclass
class Event:
    rv: int
    resource: str  # "jobs" or "pods"
    namespace: str
    type: str
    obj: dict[str, Any]


class FakeAPIServer:
    """The fake API server; start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self, token: str = "test-token", user: str = "system:serviceaccount:flows:runner") -> None:
        self.token = token
        self.user = user
        self.cond = threading.Condition()
        self.rv = 1000
        self.jobs: dict[tuple[str, str], dict[str, Any]] = {}
        self.pods: dict[tuple[str, str], dict[str, Any]] = {}
        self.logs: dict[tuple[str, str, str], list[str]] = {}
        self.events: list[Event] = []
        self.compacted_rv = 0
        self.requests: list[Seen] = []
        self.faults: list[Fault] = []
        self.denied: set[tuple[str, str]] = set()
        self.committed_creates: list[tuple[str, str]] = []
        self.max_watch_seconds = 30.0
        self.bookmark_interval = 0.0
        self.closing = False
        self._timers: list[threading.Timer] = []
        server = self

        class Handler(_Handler):
            api = server

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # ---- lifecycle

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeAPIServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        with self.cond:
            self.closing = True
            self.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset_state(self) -> None:
        """Forget all objects, requests, faults and denials (between tests)."""
        for timer in self._timers:
            timer.cancel()
        with self.cond:
            self._timers.clear()
            self.jobs.clear()
            self.pods.clear()
            self.logs.clear()
            self.events.clear()
            self.requests.clear()
            self.faults.clear()
            self.denied.clear()
            self.committed_creates.clear()
            self.compacted_rv = 0
            self.bookmark_interval = 0.0
            self.cond.notify_all()

    def write_kubeconfig(self, path: str, namespace: str = "flows") -> str:
        """A kubeconfig with token auth over plain HTTP; contexts ``fake`` and ``other``."""
        text = f"""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: {self.url}
users:
- name: tester
  user:
    token: {self.token}
- name: stranger
  user:
    token: wrong-token
contexts:
- name: fake
  context:
    cluster: fake
    user: tester
    namespace: {namespace}
- name: other
  context:
    cluster: fake
    user: tester
    namespace: other-ns
- name: bad-user
  context:
    cluster: fake
    user: stranger
current-context: fake
"""
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    # ---- faults and RBAC

    def inject(self, method: str, path: str, action: str, times: int = 1, **kw: Any) -> Fault:
        """Add a fault for the next ``times`` requests matching ``method`` and ``path`` (regex)."""
        fault = Fault(method=method, path=path, action=action, times=times, **kw)
        with self.cond:
            self.faults.append(fault)
        return fault

    def deny(self, verb: str, resource: str = "jobs") -> None:
        """Make RBAC refuse ``verb`` on ``resource`` (``jobs``, ``pods``, ``pods/log``)."""
        self.denied.add((verb, resource))

    def take_fault(self, method: str, path: str, is_watch: bool) -> Fault | None:
        with self.cond:
            for fault in self.faults:
                if fault.matches(method, path, is_watch):
                    fault.used += 1
                    return fault
        return None

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        """Requests received, optionally filtered by method and path regex."""
        with self.cond:
            out = list(self.requests)
        return [
            r for r in out
            if (method is None or r.method == method) and (path is None or re.fullmatch(path, r.path))
        ]

    # ---- state helpers

    def _bump(self) -> int:
        self.rv += 1
        return self.rv

    def _emit(self, resource: str, namespace: str, type_: str, obj: dict[str, Any]) -> None:
        """Record an event (caller holds the lock)."""
        self.events.append(Event(int(obj["metadata"]["resourceVersion"]), resource, namespace, type_, copy.deepcopy(obj)))
        self.cond.notify_all()

    def compact(self) -> None:
        """Forget history: watches from any earlier resourceVersion get 410 Expired."""
        with self.cond:
            self.compacted_rv = self._bump()

    def put_job(self, job: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        """Store a Job directly, as if someone else had created it."""
        with self.cond:
            return self._store_job(copy.deepcopy(job), namespace or job["metadata"].get("namespace", "default"))

    def _store_job(self, job: dict[str, Any], ns: str) -> dict[str, Any]:
        meta = job.setdefault("metadata", {})
        uid = str(uuid.uuid4())
        meta.update(namespace=ns, uid=uid, resourceVersion=str(self._bump()), creationTimestamp=now_iso(), generation=1)
        job.setdefault("kind", "Job")
        job.setdefault("apiVersion", "batch/v1")
        spec = job.setdefault("spec", {})
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completions", 1)
        spec.setdefault("parallelism", 1)
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        tmeta = spec.setdefault("template", {}).setdefault("metadata", {})
        tmeta["labels"] = {
            **(tmeta.get("labels") or {}),
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": meta["name"],
            "controller-uid": uid,
            "job-name": meta["name"],
        }
        job["status"] = {}
        self.jobs[(ns, meta["name"])] = job
        self._emit("jobs", ns, "ADDED", job)
        return job

    def _update_job(self, ns: str, name: str) -> dict[str, Any]:
        job = self.jobs[(ns, name)]
        job["metadata"]["resourceVersion"] = str(self._bump())
        self._emit("jobs", ns, "MODIFIED", job)
        return job

    # ---- controller hooks

    def touch_job(self, ns: str, name: str) -> None:
        """A no-op update (new resourceVersion, MODIFIED event), as status churn would cause."""
        with self.cond:
            job = self.jobs[(ns, name)]
            job["status"]["ready"] = job["status"].get("ready", 0)
            self._update_job(ns, name)

    def start_job(self, ns: str, name: str, waiting: str | None = None) -> str:
        """Create the Job's pod with every container running (or waiting with ``waiting``).

        Containers keep the template's order, so a sidecar listed first is containers[0].
        Returns the pod name.
        """
        with self.cond:
            job = self.jobs[(ns, name)]
            uid = job["metadata"]["uid"]
            pod_name = f"{name[:57]}-{uuid.uuid4().hex[:5]}"
            template = job["spec"]["template"]
            containers = template["spec"]["containers"]
            state = {"waiting": {"reason": waiting}} if waiting else {"running": {"startedAt": now_iso()}}
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": pod_name,
                    "namespace": ns,
                    "uid": str(uuid.uuid4()),
                    "labels": dict(template["metadata"]["labels"]),
                    "ownerReferences": [
                        {"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": uid,
                         "controller": True, "blockOwnerDeletion": True}
                    ],
                    # Real timestamps have one-second resolution; a second apart keeps pods ordered.
                    "creationTimestamp": now_iso(len(self.pods)),
                    "resourceVersion": str(self._bump()),
                },
                "spec": copy.deepcopy(template["spec"]),
                "status": {
                    "phase": "Pending" if waiting else "Running",
                    "containerStatuses": [
                        {"name": c["name"], "image": c.get("image", ""), "ready": not waiting,
                         "restartCount": 0, "state": copy.deepcopy(state)}
                        for c in containers
                    ],
                },
            }
            self.pods[(ns, pod_name)] = pod
            for c in containers:
                self.logs.setdefault((ns, pod_name, c["name"]), [])
            job["status"].update(active=1, startTime=now_iso())
            self._update_job(ns, name)
            return pod_name

    def pod_of(self, ns: str, job_name: str) -> str | None:
        with self.cond:
            names = [p["metadata"]["name"] for (pns, _), p in self.pods.items()
                     if pns == ns and p["metadata"]["labels"].get("job-name") == job_name]
        return names[-1] if names else None

    def add_log(self, ns: str, pod: str, container: str, text: str) -> None:
        """Append ``text`` to a container's log (followers see it at once)."""
        with self.cond:
            self.logs.setdefault((ns, pod, container), []).append(text)
            self.cond.notify_all()

    def finish_job(
        self,
        ns: str,
        name: str,
        exit_code: int = 0,
        *,
        reason: str | None = None,
        sidecar_exit: int = 0,
        job_reason: str | None = None,
        job_message: str | None = None,
        flow_container: str = "flow",
    ) -> str:
        """Terminate the Job's pod (starting one if needed) and set Complete or Failed.

        The flow container (``flow_container``, found by name) exits ``exit_code``; other
        containers exit ``sidecar_exit``. The Job is Complete when ``exit_code`` is 0.
        Returns the pod name.
        """
        pod_name = self.pod_of(ns, name) or self.start_job(ns, name)
        with self.cond:
            pod = self.pods[(ns, pod_name)]
            for status in pod["status"]["containerStatuses"]:
                is_flow = status["name"] == flow_container
                code = exit_code if is_flow else sidecar_exit
                why = reason if (is_flow and reason) else ("Completed" if code == 0 else "Error")
                status["state"] = {"terminated": {"exitCode": code, "reason": why,
                                                  "startedAt": now_iso(), "finishedAt": now_iso()}}
                status["ready"] = False
            pod["status"]["phase"] = "Succeeded" if exit_code == 0 else "Failed"
            pod["metadata"]["resourceVersion"] = str(self._bump())
            job = self.jobs[(ns, name)]
            stamp = now_iso()
            if exit_code == 0:
                job["status"] = {**job["status"], "active": 0, "succeeded": 1, "completionTime": stamp,
                                 "conditions": [
                                     {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
                                      "message": "Reached expected number of succeeded pods",
                                      "lastProbeTime": stamp, "lastTransitionTime": stamp},
                                     {"type": "Complete", "status": "True", "reason": job_reason or "CompletionsReached",
                                      "message": job_message or "Reached expected number of succeeded pods",
                                      "lastProbeTime": stamp, "lastTransitionTime": stamp},
                                 ]}
            else:
                why = job_reason or "BackoffLimitExceeded"
                msg = job_message or "Job has reached the specified backoff limit"
                job["status"] = {**job["status"], "active": 0, "failed": 1,
                                 "conditions": [
                                     {"type": "FailureTarget", "status": "True", "reason": why, "message": msg,
                                      "lastProbeTime": stamp, "lastTransitionTime": stamp},
                                     {"type": "Failed", "status": "True", "reason": why, "message": msg,
                                      "lastProbeTime": stamp, "lastTransitionTime": stamp},
                                 ]}
            self._update_job(ns, name)
            return pod_name

    def later(self, seconds: float, fn: Any, *args: Any, **kw: Any) -> None:
        """Run a controller hook after ``seconds``, from another thread."""
        timer = threading.Timer(seconds, fn, args, kw)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def when(self, predicate: Any, fn: Any, *args: Any, timeout: float = 5.0, **kw: Any) -> None:
        """Run ``fn`` from another thread as soon as ``predicate()`` holds (polled every 10 ms)."""

        def poll() -> None:
            end = time.monotonic() + timeout
            while time.monotonic() < end and not self.closing:
                if predicate():
                    fn(*args, **kw)
                    return
                time.sleep(0.01)

        threading.Thread(target=poll, daemon=True).start()

    # ---- request handling (called from handler threads)

    def forbidden(self, verb: str, resource: str, ns: str, name: str | None) -> dict[str, Any]:
        group = "batch" if resource == "jobs" else ""
        base = resource.split("/")[0]
        qualified = f"{base}.{group}" if group else base
        target = f'{qualified} "{name}"' if name else qualified
        message = (
            f'{target} is forbidden: User "{self.user}" cannot {verb} resource "{resource}" '
            f'in API group "{group}" in the namespace "{ns}"'
        )
        details = {"group": group, "kind": base}
        if name:
            details["name"] = name
        return status_body(403, "Forbidden", message, details)

    def validate_job(self, job: Any, ns: str) -> list[dict[str, str]]:
        """Field causes as the Job validation would give them (a useful subset)."""
        causes: list[dict[str, str]] = []
        if not isinstance(job, dict):
            return [{"reason": "FieldValueInvalid", "message": "Invalid value: not an object", "field": ""}]
        name = (job.get("metadata") or {}).get("name") or ""
        if not name:
            causes.append({"reason": "FieldValueRequired", "message": "Required value: name or generateName is required",
                           "field": "metadata.name"})
        elif len(name) > 63:
            causes.append({"reason": "FieldValueInvalid",
                           "message": f'Invalid value: "{name}": must be no more than 63 characters',
                           "field": "metadata.name"})
        elif not DNS_LABEL.match(name):
            causes.append({"reason": "FieldValueInvalid",
                           "message": f'Invalid value: "{name}": a lowercase RFC 1123 label must consist of lower case '
                                      "alphanumeric characters or '-', and must start and end with an alphanumeric character",
                           "field": "metadata.name"})
        pod_spec = ((job.get("spec") or {}).get("template") or {}).get("spec") or {}
        containers = pod_spec.get("containers") or []
        if not containers:
            causes.append({"reason": "FieldValueRequired", "message": "Required value",
                           "field": "spec.template.spec.containers"})
        for i, c in enumerate(containers):
            if not c.get("name"):
                causes.append({"reason": "FieldValueRequired", "message": "Required value",
                               "field": f"spec.template.spec.containers[{i}].name"})
            if not c.get("image"):
                causes.append({"reason": "FieldValueRequired", "message": "Required value",
                               "field": f"spec.template.spec.containers[{i}].image"})
        policy = pod_spec.get("restartPolicy", "Always")
        if policy not in ("OnFailure", "Never"):
            causes.append({"reason": "FieldValueNotSupported",
                           "message": f'Unsupported value: "{policy}": supported values: "OnFailure", "Never"',
                           "field": "spec.template.spec.restartPolicy"})
        return causes


def _fmt_causes(causes: list[dict[str, str]]) -> str:
    parts = [f"{c['field']}: {c['message']}" for c in causes]
    return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"


def _bool(value: str | None) -> bool:
    """Query booleans as Go's strconv.ParseBool reads them (the Python client sends "True")."""
    return value in ("1", "t", "T", "TRUE", "true", "True")


def _selector_match(labels: dict[str, str], selector: str | None) -> bool:
    if not selector:
        return True
    for term in selector.split(","):
        key, _, value = term.partition("=")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api: FakeAPIServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes; without this, Nagle plus the
        # client's delayed ACK adds ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # ---- low-level writing

    def _send_json(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST, answering nothing."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()
        self.close_connection = True

    def _start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # ---- dispatch

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        api = self.api
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        is_watch = _bool(query.get("watch"))
        fault = api.take_fault(method, path, is_watch)
        seen = Seen(method, path, query, body, {k.lower(): v for k, v in self.headers.items()},
                    fault.action if fault else None)
        with api.cond:
            api.requests.append(seen)

        auth = self.headers.get("Authorization") or ""
        if auth.lower() != f"bearer {api.token}".lower():
            self._send_json(401, status_body(401, "Unauthorized", "Unauthorized"))
            return

        if fault is not None:
            if fault.before is not None:
                fault.before()
            if fault.action == "reset":
                self._reset()
                return
            if fault.action == "sleep":
                time.sleep(fault.delay)
            if fault.action == "status":
                self._send_status_fault(fault)
                return

        m_jobs, m_pods = JOBS.match(path), PODS.match(path)
        if m_jobs and method == "GET" and is_watch and not m_jobs.group("name"):
            self._watch_jobs(m_jobs.group("ns"), query, fault)
            return
        if m_pods and m_pods.group("log") and method == "GET":
            self._logs(m_pods.group("ns"), m_pods.group("name"), query)
            return
        code, resp = self._route(method, path, query, body, m_jobs, m_pods, is_watch)
        if fault is not None and fault.action == "drop_response":
            self._reset()
            return
        if fault is not None and fault.action == "commit_then_status":
            self._send_status_fault(fault)
            return
        if fault is not None and fault.action == "slow_commit":
            time.sleep(fault.delay)
        try:
            self._send_json(code, resp)
        except OSError:  # the client gave up waiting (slow_commit)
            self.close_connection = True

    def _send_status_fault(self, fault: Fault) -> None:
        reason, message = CANNED.get(fault.status, ("InternalError", "Internal error occurred"))
        details = None
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = fault.retry_after
            if fault.retry_after.isdigit():
                details = {"retryAfterSeconds": int(fault.retry_after)}
        self._send_json(fault.status, status_body(fault.status, reason, message, details), headers)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any,
               m_jobs: Any, m_pods: Any, is_watch: bool) -> tuple[int, Any]:
        api = self.api
        if m_jobs:
            ns, name = m_jobs.group("ns"), m_jobs.group("name")
            verb = {"POST": "create", "DELETE": "delete"}.get(method, "get" if name else "list")
            if (verb, "jobs") in api.denied:
                return 403, api.forbidden(verb, "jobs", ns, name)
            if method == "POST" and not name:
                return self._create_job(ns, query, body)
            if method == "GET" and not name:
                return self._list("jobs", ns, query)
            if method == "GET":
                with api.cond:
                    job = api.jobs.get((ns, name))
                    if job is None:
                        return 404, status_body(404, "NotFound", f'jobs.batch "{name}" not found',
                                                {"name": name, "group": "batch", "kind": "jobs"})
                    return 200, copy.deepcopy(job)
            if method == "DELETE":
                return self._delete_job(ns, name, query, body)
        if m_pods and not m_pods.group("log"):
            ns, name = m_pods.group("ns"), m_pods.group("name")
            verb = "get" if name else "list"
            if (verb, "pods") in api.denied:
                return 403, api.forbidden(verb, "pods", ns, name)
            if method == "GET" and not name and not is_watch:
                return self._list("pods", ns, query)
            if method == "GET" and name:
                with api.cond:
                    pod = api.pods.get((ns, name))
                if pod is None:
                    return 404, status_body(404, "NotFound", f'pods "{name}" not found',
                                            {"name": name, "kind": "pods"})
                return 200, copy.deepcopy(pod)
        return 404, status_body(404, "NotFound", "the server could not find the requested resource",
                                {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]})

    def _create_job(self, ns: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        api = self.api
        dry = query.get("dryRun")
        if dry is not None and dry != "All":
            return 400, status_body(400, "BadRequest", f'Invalid dry run value: ["{dry}"]')
        if isinstance(body, dict):
            declared = (body.get("metadata") or {}).get("namespace")
            if declared and declared != ns:
                return 400, status_body(400, "BadRequest",
                                        "the namespace of the provided object does not match the namespace sent on the request")
        causes = api.validate_job(body, ns)
        name = ((body or {}).get("metadata") or {}).get("name", "") if isinstance(body, dict) else ""
        if causes:
            return 422, status_body(422, "Invalid", f'Job.batch "{name}" is invalid: {_fmt_causes(causes)}',
                                    {"name": name, "group": "batch", "kind": "Job", "causes": causes})
        with api.cond:
            if (ns, name) in api.jobs:
                return 409, status_body(409, "AlreadyExists", f'jobs.batch "{name}" already exists',
                                        {"name": name, "group": "batch", "kind": "jobs"})
            if dry == "All":
                job = copy.deepcopy(body)
                job["metadata"].update(namespace=ns, uid=str(uuid.uuid4()), creationTimestamp=now_iso(), generation=1)
                job["status"] = {}
                return 201, job
            job = api._store_job(copy.deepcopy(body), ns)
            api.committed_creates.append((ns, name))
            return 201, copy.deepcopy(job)

    def _delete_job(self, ns: str, name: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        api = self.api
        policy = query.get("propagationPolicy") or ((body or {}).get("propagationPolicy") if isinstance(body, dict) else None)
        with api.cond:
            job = api.jobs.get((ns, name))
            if job is None:
                return 404, status_body(404, "NotFound", f'jobs.batch "{name}" not found',
                                        {"name": name, "group": "batch", "kind": "jobs"})
            if policy == "Foreground":
                # The garbage collector deletes dependents first, then the Job itself.
                job["metadata"]["deletionTimestamp"] = now_iso()
                job["metadata"]["finalizers"] = ["foregroundDeletion"]
                answer = copy.deepcopy(api._update_job(ns, name))
            else:
                answer = copy.deepcopy(job)
            for key in [k for k, p in api.pods.items()
                        if k[0] == ns and p["metadata"]["labels"].get("job-name") == name]:
                pod = api.pods.pop(key)
                pod["metadata"]["resourceVersion"] = str(api._bump())
                api._emit("pods", ns, "DELETED", pod)
            del api.jobs[(ns, name)]
            job["metadata"]["resourceVersion"] = str(api._bump())
            api._emit("jobs", ns, "DELETED", job)
            return 200, answer

    def _list(self, resource: str, ns: str, query: dict[str, str]) -> tuple[int, Any]:
        api = self.api
        label_sel = query.get("labelSelector")
        field_sel = query.get("fieldSelector")
        with api.cond:
            store = api.jobs if resource == "jobs" else api.pods
            items = []
            for (ons, name), obj in sorted(store.items()):
                if ons != ns:
                    continue
                if not _selector_match(obj["metadata"].get("labels") or {}, label_sel):
                    continue
                if field_sel and field_sel != f"metadata.name={name}":
                    continue
                item = copy.deepcopy(obj)
                item.pop("kind", None)
                item.pop("apiVersion", None)
                items.append(item)
            rv = str(api.rv)
        kind, version = ("JobList", "batch/v1") if resource == "jobs" else ("PodList", "v1")
        meta: dict[str, Any] = {"resourceVersion": rv}
        # Chunked lists as the API server serves them: ``limit`` items a page and an opaque
        # ``continue`` token while more remain (here: the offset, base64-encoded).
        start = int(base64.b64decode(query["continue"]).decode()) if query.get("continue") else 0
        limit = int(query.get("limit") or 0)
        if limit > 0 or start:
            end = start + limit if limit > 0 else len(items)
            if end < len(items):
                meta["continue"] = base64.b64encode(str(end).encode()).decode()
                meta["remainingItemCount"] = len(items) - end
            items = items[start:end]
        return 200, {"kind": kind, "apiVersion": version, "metadata": meta, "items": items}

    # ---- streams

    def _watch_jobs(self, ns: str, query: dict[str, str], fault: Fault | None) -> None:
        api = self.api
        if ("watch", "jobs") in api.denied:
            self._send_json(403, api.forbidden("watch", "jobs", ns, None))
            return
        field_sel = query.get("fieldSelector")
        label_sel = query.get("labelSelector")
        timeout = min(float(query.get("timeoutSeconds") or api.max_watch_seconds), api.max_watch_seconds)
        deadline = time.monotonic() + timeout
        rv_text = query.get("resourceVersion") or ""

        def wanted(obj: dict[str, Any]) -> bool:
            meta = obj["metadata"]
            if field_sel and field_sel != f"metadata.name={meta['name']}":
                return False
            return _selector_match(meta.get("labels") or {}, label_sel)

        self._start_chunked("application/json")
        sent = 0

        def send(type_: str, obj: dict[str, Any]) -> bool:
            nonlocal sent
            if fault is not None and fault.action == "drop_watch" and sent >= fault.after_events:
                self._reset()
                return False
            self._chunk(json.dumps({"type": type_, "object": obj}).encode() + b"\n")
            sent += 1
            return True

        try:
            if fault is not None and fault.action == "gone":
                with api.cond:
                    rv_now = api.rv
                send("ERROR", status_body(410, "Expired", f"too old resource version: {rv_text} ({rv_now})"))
                self._end_chunked()
                return
            with api.cond:
                if rv_text not in ("", "0") and int(rv_text) < api.compacted_rv:
                    expired = status_body(410, "Expired", f"too old resource version: {rv_text} ({api.compacted_rv})")
                else:
                    expired = None
                initial = []
                if rv_text in ("", "0"):
                    initial = [copy.deepcopy(j) for (ons, _), j in sorted(api.jobs.items()) if ons == ns and wanted(j)]
                    cursor = api.rv
                else:
                    cursor = int(rv_text)
            if expired is not None:
                send("ERROR", expired)
                self._end_chunked()
                return
            for obj in initial:
                if not send("ADDED", obj):
                    return
            last_bookmark = time.monotonic()
            while True:
                with api.cond:
                    pending = [e for e in api.events if e.rv > cursor and e.resource == "jobs"
                               and e.namespace == ns and wanted(e.obj)]
                    snapshot = api.rv
                    if not pending:
                        left = deadline - time.monotonic()
                        if left <= 0 or api.closing:
                            break
                        api.cond.wait(min(left, 0.05))
                for event in pending:
                    if not send(event.type, event.obj):
                        return
                cursor = snapshot
                if api.bookmark_interval and time.monotonic() - last_bookmark >= api.bookmark_interval:
                    last_bookmark = time.monotonic()
                    if not send("BOOKMARK", {"kind": "Job", "apiVersion": "batch/v1",
                                             "metadata": {"resourceVersion": str(cursor)}}):
                        return
            self._end_chunked()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True

    def _logs(self, ns: str, pod_name: str, query: dict[str, str]) -> None:
        api = self.api
        if ("get", "pods/log") in api.denied:
            self._send_json(403, api.forbidden("get", "pods/log", ns, pod_name))
            return
        with api.cond:
            pod = copy.deepcopy(api.pods.get((ns, pod_name)))
        if pod is None:
            self._send_json(404, status_body(404, "NotFound", f'pods "{pod_name}" not found',
                                             {"name": pod_name, "kind": "pods"}))
            return
        names = [c["name"] for c in pod["spec"]["containers"]]
        container = query.get("container")
        if not container:
            if len(names) != 1:
                self._send_json(400, status_body(400, "BadRequest",
                                                 f"a container name must be specified for pod {pod_name}, "
                                                 f"choose one of: [{' '.join(names)}]"))
                return
            container = names[0]
        if container not in names:
            self._send_json(400, status_body(400, "BadRequest", f"container {container} is not valid for pod {pod_name}"))
            return

        def state() -> dict[str, Any]:
            live = api.pods.get((ns, pod_name)) or pod
            for status in live["status"]["containerStatuses"]:
                if status["name"] == container:
                    return status["state"]
            return {}

        with api.cond:
            current = state()
        if "waiting" in current:
            reason = current["waiting"].get("reason") or "ContainerCreating"
            self._send_json(400, status_body(400, "BadRequest",
                                             f'container "{container}" in pod "{pod_name}" is waiting to start: {reason}'))
            return
        follow = _bool(query.get("follow"))
        self._start_chunked("text/plain")
        index = 0
        try:
            while True:
                with api.cond:
                    lines = api.logs.get((ns, pod_name, container), [])
                    fresh, index = lines[index:], len(lines)
                    running = "running" in state() and (ns, pod_name) in api.pods
                    if not fresh and follow and running and not api.closing:
                        api.cond.wait(0.05)
                        continue
                for text in fresh:
                    self._chunk(text.encode())
                if not fresh and (not follow or not running or api.closing):
                    break
            self._end_chunked()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
