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


def bench(num_nodes: int = 5000, num_pods: int = 10_000) -> dict:
    """The shape of kube-scheduler's scheduler_perf SchedulingBasic: schedule
    ``num_pods`` pods onto ``num_nodes`` nodes one at a time, as the scheduling
    cycle does, assuming each placement in the cache before the next pod."""
    nodes = [NodeInfo(make_node(i)) for i in range(num_nodes)]
    by_name = {ni.name: ni for ni in nodes}
    start_index, evaluated = 0, 0
    latencies: list[float] = []
    t0 = time.perf_counter()
    for i in range(num_pods):
        pod = make_pod(i)
        started = time.perf_counter()
        decision = schedule(pod, nodes, start_index=start_index)
        latencies.append((time.perf_counter() - started) * 1000)
        start_index = decision.next_start_index
        evaluated = decision.evaluated_nodes
        pod["spec"]["nodeName"] = decision.node
        by_name[decision.node].add_pod(pod)  # the scheduler cache "assumes" the pod
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {
        "nodes": num_nodes, "pods": num_pods, "seconds": round(elapsed, 2),
        "pods_per_second": round(num_pods / elapsed, 1),
        "latency_p50_ms": round(latencies[len(latencies) // 2], 3),
        "latency_p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 3),
        "nodes_evaluated_per_pod": evaluated,
        "threshold_pods_per_second": 680,  # scheduler_perf SchedulingBasic's published threshold
    }


def table(figures: dict) -> str:
    return "\n".join([
        f"{figures['pods']:,} pods on {figures['nodes']:,} nodes in {figures['seconds']} s",
        f"pods/s             {figures['pods_per_second']:>10,.1f}   (scheduler_perf threshold 680)",
        f"latency p50 (ms)   {figures['latency_p50_ms']:>10.3f}",
        f"latency p99 (ms)   {figures['latency_p99_ms']:>10.3f}",
        f"nodes evaluated    {figures['nodes_evaluated_per_pod']:>10,}   per pod (percentageOfNodesToScore)",
        "one scheduling cycle at a time, filters + scores + assume; binding is the API's and not counted",
    ])


def main(num_nodes: int = 5000, num_pods: int = 10_000) -> None:
    print(table(bench(num_nodes, num_pods)))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
