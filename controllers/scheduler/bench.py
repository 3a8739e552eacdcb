"""Scheduler throughput on a synthetic cluster: ``python -m controllers.scheduler.bench [nodes] [pods]``.

A benchmark is a command that prints figures, not a test with a time limit.
"""
from __future__ import annotations

import sys
import time

from controllers.scheduler.framework import NodeInfo
from controllers.scheduler.schedule import schedule


def make_node(i: int) -> dict:
    taints = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}] if i % 50 == 0 else []
    return {
        "metadata": {"name": f"node-{i:05d}", "labels": {"kubernetes.io/hostname": f"node-{i:05d}",
                                                        "topology.kubernetes.io/zone": f"zone-{i % 3}"}},
        "spec": {"taints": taints},
        "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}},
    }


def make_pod(i: int) -> dict:
    return {
        "metadata": {"name": f"web-{i}", "namespace": "default", "uid": f"uid-{i}", "labels": {"app": "web"},
                     "ownerReferences": [{"kind": "ReplicaSet", "name": "web", "uid": f"rs-{i % 20}", "controller": True}]},
        "spec": {"containers": [{"name": "app", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]},
    }


def main(num_nodes: int = 5000, num_pods: int = 2000) -> None:
    nodes = [NodeInfo(make_node(i)) for i in range(num_nodes)]
    by_name = {ni.name: ni for ni in nodes}
    start_index = 0
    t0 = time.perf_counter()
    for i in range(num_pods):
        pod = make_pod(i)
        decision = schedule(pod, nodes, start_index=start_index)
        start_index = decision.next_start_index
        pod["spec"]["nodeName"] = decision.node
        by_name[decision.node].add_pod(pod)  # the scheduler cache "assumes" the pod
    elapsed = time.perf_counter() - t0
    print(f"{num_pods} pods on {num_nodes} nodes: {elapsed:.2f}s, {num_pods / elapsed:.0f} pods/s, "
          f"{decision.evaluated_nodes} nodes evaluated per pod")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
