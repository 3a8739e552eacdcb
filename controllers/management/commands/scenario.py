"""``manage.py scenario ACTION [TARGET]``: act on the running cluster, from any process.

The scenario state lives in the API (ConfigMap ``kube-system/kubeviz-scenarios``
and pod annotations), so this command, talking to the same database as
``runcluster``, reaches the running kubelets through the watch.
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

ACTIONS = ("kill-node", "revive-node", "partition-node", "heal-node", "slow-node", "add-node", "remove-node",
           "crash-pod", "list")


class Command(BaseCommand):
    help = "Run a scenario on the cluster: " + ", ".join(ACTIONS)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("target", nargs="?", default="", help="NODE, or NAMESPACE/POD for crash-pod")
        parser.add_argument("--name", default="", help="add-node: the new node's name")
        parser.add_argument("--cpu", default="4")
        parser.add_argument("--memory", default="8Gi")
        parser.add_argument("--pods", type=int, default=110)
        parser.add_argument("--labels", default="", help="add-node: k=v,k2=v2")
        parser.add_argument("--taints", default="", help="add-node: key=value:Effect,…")

    def handle(self, *args: object, **options: object) -> None:
        from cluster.api.service import api_server
        from cluster.client import StatusError
        from controllers import scenarios
        from controllers.plane import admin_client

        client = admin_client(api_server())
        action, target = str(options["action"]), str(options["target"])
        try:
            if action == "list":
                for name, entry in sorted(scenarios.simulated_nodes(client).items()):
                    self.stdout.write(f"{name}\t{entry.get('state', 'running')}\t{json.dumps(entry.get('spec', {}))}")
                return
            if action == "add-node":
                name = scenarios.add_node(client, str(options["name"]) or target, str(options["cpu"]),
                                          str(options["memory"]), int(options["pods"]),  # type: ignore[arg-type]
                                          _labels(str(options["labels"])), _taints(str(options["taints"])))
                self.stdout.write(f"node/{name} added")
                return
            if not target:
                raise CommandError(f"{action} needs a target")
            if action == "crash-pod":
                namespace, _, pod = target.rpartition("/")
                scenarios.crash_pod(client, namespace or "default", pod)
                self.stdout.write(f"pod/{pod} crashed")
                return
            getattr(scenarios, action.replace("-", "_"))(client, target)
            done = {"kill-node": "killed", "revive-node": "revived", "partition-node": "partitioned",
                    "heal-node": "healed", "slow-node": "slowed", "remove-node": "removed"}[action]
            self.stdout.write(f"node/{target} {done}")
        except (scenarios.ScenarioError, StatusError) as error:
            raise CommandError(str(error)) from None


def _labels(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split(",") if "=" in item)


def _taints(text: str) -> list[dict]:
    taints = []
    for item in filter(None, text.split(",")):
        key_value, _, effect = item.rpartition(":")
        key, _, value = key_value.partition("=")
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        taints.append(taint)
    return taints
