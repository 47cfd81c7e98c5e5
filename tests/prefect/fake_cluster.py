"""A fake Kubernetes cluster for trying the compose-kubernetes worker on one machine.

It starts the test suite's fake API server (tests/runner_k8s/k8s_fake_apiserver.py) on
127.0.0.1, writes a kubeconfig for it, and plays kubelet: every new Job's flow container runs
here, as a process, with the Job's command and environment (``python`` is this interpreter),
and the Job is then marked Complete or Failed by the exit code.

    python tests/prefect/fake_cluster.py --kubeconfig /tmp/fake-kubeconfig --workdir flows/

Stop it with Ctrl-C. Only for trying things out and for tests: nothing is isolated.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

_spec = importlib.util.spec_from_file_location("compose_tests_prefect_e2e_support", Path(__file__).parent / "e2e_support.py")
support = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = support
_spec.loader.exec_module(support)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--kubeconfig", required=True, help="where to write the kubeconfig")
    parser.add_argument("--namespace", default="flows")
    parser.add_argument("--workdir", default=".", help="directory the flow containers run in")
    parser.add_argument("--flow-container", default="flow")
    args = parser.parse_args()
    server = support.fake_apiserver_module().FakeAPIServer().start()
    server.write_kubeconfig(args.kubeconfig, namespace=args.namespace)
    print(f"fake API server at {server.url}; kubeconfig {args.kubeconfig} (namespace {args.namespace})", flush=True)
    home = Path(args.workdir).resolve() / ".prefect-flow-home"
    seen: set[tuple[str, str]] = set()
    try:
        while True:
            for key in [k for k in list(server.jobs) if k not in seen]:
                seen.add(key)
                ns, name = key
                print(f"job {ns}/{name}: running its {args.flow_container} container", flush=True)
                server.start_job(ns, name)
                done = support.run_flow_container(server.jobs[key], args.flow_container, Path(args.workdir), home)
                server.finish_job(ns, name, done.returncode, flow_container=args.flow_container)
                print(f"job {ns}/{name}: exit code {done.returncode}", flush=True)
                if done.returncode:
                    print(done.stdout[-2000:] + done.stderr[-2000:], flush=True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
