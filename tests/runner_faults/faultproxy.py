"""A fault-injecting HTTP reverse proxy for the exactly-once scenarios.

It sits on 127.0.0.1 between ``compose agent`` and a backend (the moto server, the fake
Kubernetes API server), parses each HTTP/1.1 request, and either forwards it (with
``Connection: close`` on both legs, so one connection carries one exchange) or misbehaves:

* ``reset``: a TCP reset before anything is forwarded (the backend never sees it);
* ``status``: an answer of its own (500, 503, 429 with ``Retry-After``), nothing forwarded;
* ``delay``: wait, then forward;
* ``drop``: forward, read the backend's whole answer (the backend committed), then reset the
  client's connection instead of answering: the lost answer;
* ``blackhole``: read the request and never answer.

Which fault hits which request is drawn from a seeded random source by a :class:`Plan`:
a list of (probability, fault) per kind of request (``mutating`` or ``read``). The whole
proxy can also be switched to ``refuse`` (nothing listens: connection refused) or
``blackhole`` (every connection accepted, no answer ever). Counts of what it did are kept
in :attr:`FaultProxy.counts`.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def operation(self) -> str:
        """The AWS JSON operation (``RunTask``), or ``"METHOD path"``."""
        target = self.headers.get("x-amz-target", "")
        if target:
            return target.rsplit(".", 1)[-1]
        return f"{self.method} {self.path.split('?', 1)[0]}"


@dataclass(frozen=True)
class Fault:
    action: str  # reset | status | delay | drop | blackhole
    status: int = 0
    retry_after: float | None = None
    delay: float = 0.0


@dataclass
class Plan:
    """Faults by kind of request: ``classify(request)`` names the kind, ``faults[kind]`` is a
    list of (probability, Fault); the first whose cumulative probability covers the draw wins."""

    classify: Callable[[Request], str | None]
    faults: dict[str, list[tuple[float, Fault]]] = field(default_factory=dict)
    seed: int = 8

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def choose(self, request: Request) -> Fault | None:
        kind = self.classify(request)
        if kind is None:
            return None
        with self._lock:
            draw = self._rng.random()
        acc = 0.0
        for probability, fault in self.faults.get(kind, []):
            acc += probability
            if draw < acc:
                return fault
        return None


def ecs_error_body(status: int) -> tuple[bytes, str]:
    kind = {429: "ThrottlingException", 500: "ServerException", 503: "ServiceUnavailableException"}.get(
        status, "ServerException")
    body = json.dumps({"__type": kind, "message": f"injected {status}"}).encode()
    return body, "application/x-amz-json-1.1"


def k8s_error_body(status: int) -> tuple[bytes, str]:
    reason = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable"}.get(status, "InternalError")
    body = json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                       "message": f"injected {status}", "reason": reason, "code": status}).encode()
    return body, "application/json"


_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def _rst(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def _read_request(sock: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    body = rest
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return Request(method, path, headers, body[:length])


class FaultProxy:
    """The proxy. ``FaultProxy(port_of_backend, plan, error_body).start()``; ``url``; ``stop()``."""

    def __init__(self, upstream: tuple[str, int], plan: Plan | None = None,
                 error_body: Callable[[int], tuple[bytes, str]] = ecs_error_body) -> None:
        self.upstream = upstream
        self.plan = plan
        self.error_body = error_body
        self.counts: Counter[str] = Counter()
        self.mode = "up"
        self._lock = threading.Lock()
        self._held: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._reserved: socket.socket | None = None
        self._closing = threading.Event()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FaultProxy":
        self._listen()
        return self

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        self._listener = sock
        threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def set_mode(self, mode: str) -> None:
        """``up``, ``refuse`` (nothing listens) or ``blackhole`` (accept, never answer)."""
        with self._lock:
            previous, self.mode = self.mode, mode
        if mode == "refuse" and self._listener is not None:
            self._close_listener()
            # Keep the port bound without listening: connections are refused, and no other
            # socket of this test can be given the port meanwhile.
            self._reserved = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._reserved.bind(("127.0.0.1", self.port))
        elif previous == "refuse" and mode != "refuse":
            if self._reserved is not None:
                self._reserved.close()
                self._reserved = None
            self._listen()
        if mode == "up":
            self._release_held()

    def stop(self) -> None:
        self._closing.set()
        if self._listener is not None:
            self._close_listener()
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None
        self._release_held()

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        assert listener is not None
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() of its thread, frees the port
        except OSError:
            pass
        listener.close()

    def _release_held(self) -> None:
        with self._lock:
            held, self._held = self._held, []
        for sock in held:
            _rst(sock)

    def _hold(self, sock: socket.socket) -> None:
        with self._lock:
            self._held.append(sock)

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _accept(self, listener: socket.socket) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = _read_request(conn)
            if request is None:
                conn.close()
                return
            self._count("requests")
            if self.mode == "blackhole":
                self._count("blackhole")
                self._hold(conn)
                return
            fault = self.plan.choose(request) if self.plan is not None else None
            if fault is None:
                self._forward(conn, request)
                return
            self._count(f"{fault.action}{fault.status or ''}")
            if fault.action == "reset":
                _rst(conn)
            elif fault.action == "status":
                self._answer(conn, fault)
            elif fault.action == "delay":
                time.sleep(fault.delay)
                self._forward(conn, request)
            elif fault.action == "drop":
                self._forward(conn, request, drop=True)
            elif fault.action == "blackhole":
                self._hold(conn)
            else:
                raise ValueError(fault.action)
        except OSError:
            try:
                conn.close()
            except OSError:
                pass

    def _answer(self, conn: socket.socket, fault: Fault) -> None:
        body, ctype = self.error_body(fault.status)
        head = [f"HTTP/1.1 {fault.status} {_REASONS.get(fault.status, 'Error')}",
                f"Content-Type: {ctype}", f"Content-Length: {len(body)}", "Connection: close"]
        if fault.retry_after is not None:
            head.append(f"Retry-After: {fault.retry_after:g}")
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        conn.close()

    def _forward(self, conn: socket.socket, request: Request, *, drop: bool = False) -> None:
        up = socket.create_connection(self.upstream, timeout=120)
        try:
            lines = [f"{request.method} {request.path} HTTP/1.1"]
            for name, value in request.headers.items():
                if name in ("connection", "keep-alive", "proxy-connection"):
                    continue
                lines.append(f"{name}: {value}")
            lines.append("Connection: close")
            up.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body)
            if drop:
                while up.recv(65536):
                    pass  # the backend did the work and answered; the client never hears it
                _rst(conn)
                return
            # The answer's head gets "Connection: close" too: the client must not keep a
            # connection that the proxy is about to close.
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = up.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, sep, rest = data.partition(b"\r\n\r\n")
            if sep:
                kept = [line for line in head.split(b"\r\n")
                        if not line.lower().startswith((b"connection:", b"keep-alive:"))]
                data = b"\r\n".join(kept) + b"\r\nConnection: close\r\n\r\n" + rest
            conn.sendall(data)
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                conn.sendall(chunk)
            conn.close()
        finally:
            up.close()
