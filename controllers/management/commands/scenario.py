"""``manage.py scenario ACTION [TARGET]``: act on the running cluster, from any process.

The scenario state lives in the API (ConfigMap ``kube-system/kubeviz-scenarios``
and pod annotations), so this command, talking to the same database as
``runcluster``, reaches the running kubelets through the watch.
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

ACTIONS = ("kill-node", "revive-node", "partition-node", "heal-node", "slow-node", "add-node", "remove-node",
           "crash-pod", "delete-pod", "cordon", "uncordon", "drain", "scale", "rollout", "delete-namespace",
           "etcd-snapshot", "etcd-restore", "etcd-compact", "list")
NODE_ACTIONS = {"kill-node": "killed", "revive-node": "revived", "partition-node": "partitioned",
                "heal-node": "healed", "slow-node": "slowed", "remove-node": "removed",
                "cordon": "cordoned", "uncordon": "uncordoned"}


class Command(BaseCommand):
    help = "Run a scenario on the cluster: " + ", ".join(ACTIONS)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=ACTIONS)
        parser.add_argument("target", nargs="?", default="",
                            help="NODE; NAMESPACE/POD for crash-pod and delete-pod; NAMESPACE/DEPLOYMENT for "
                                 "scale and rollout; NAMESPACE for delete-namespace; SNAPSHOT (a file name, "
                                 "default the newest) for etcd-restore; REVISION (default the current) for etcd-compact")
        parser.add_argument("--name", default="", help="add-node: the new node's name")
        parser.add_argument("--cpu", default="4")
        parser.add_argument("--memory", default="8Gi")
        parser.add_argument("--pods", type=int, default=110)
        parser.add_argument("--labels", action="append", default=[], help="add-node: k=v,k2=v2 (may repeat)")
        parser.add_argument("--taints", action="append", default=[], help="add-node: key=value:Effect,… (may repeat)")
        parser.add_argument("--replicas", default="", help="scale: N, +N or -N")
        parser.add_argument("--image", default="", help="rollout: the new image (default: the next tag)")

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
                                          _labels(",".join(options["labels"])), _taints(",".join(options["taints"])))  # type: ignore[arg-type]
                self.stdout.write(f"node/{name} added")
                return
            if action.startswith("etcd-"):
                self._etcd(client, action, target)
                return
            if not target:
                raise CommandError(f"{action} needs a target")
            if action in ("crash-pod", "delete-pod"):
                namespace, _, pod = target.rpartition("/")
                getattr(scenarios, action.replace("-", "_"))(client, namespace or "default", pod)
                self.stdout.write(f"pod/{pod} {'crashed' if action == 'crash-pod' else 'deleted'}")
                return
            if action in ("scale", "rollout"):
                namespace, _, deployment = target.rpartition("/")
                namespace = namespace or "default"
                if action == "scale":
                    if not options["replicas"]:
                        raise CommandError("scale needs --replicas N (or +N / -N)")
                    replicas = scenarios.scale(client, namespace, deployment, str(options["replicas"]))
                    self.stdout.write(f"deployment.apps/{deployment} scaled to {replicas}")
                else:
                    image = scenarios.rollout(client, namespace, deployment, str(options["image"]))
                    self.stdout.write(f"deployment.apps/{deployment} image updated to {image}")
                return
            if action == "delete-namespace":
                scenarios.delete_namespace(client, target)
                self.stdout.write(f'namespace "{target}" deleted')
                return
            if action == "drain":
                evicted = scenarios.drain_node(client, target)
                for pod in evicted:
                    self.stdout.write(f"evicting pod {pod}")
                self.stdout.write(f"node/{target} drained")
                return
            getattr(scenarios, {"cordon": "cordon_node", "uncordon": "uncordon_node"}.get(
                action, action.replace("-", "_")))(client, target)
            self.stdout.write(f"node/{target} {NODE_ACTIONS[action]}")
        except (scenarios.ScenarioError, StatusError) as error:
            raise CommandError(str(error)) from None

    def _etcd(self, client: object, action: str, target: str) -> None:
        """etcdctl's words: "Snapshot saved at …", "compacted revision N"."""
        from controllers import scenarios

        if action == "etcd-snapshot":
            taken = scenarios.etcd_snapshot(client)  # type: ignore[arg-type]
            self.stdout.write(f"Snapshot saved at {taken['path']}")
            self.stdout.write(f"revision {taken['revision']}, {taken['totalKey']} keys, {taken['totalSize']} bytes, "
                              f"sha256 {taken['sha256']}")
        elif action == "etcd-restore":
            restored = scenarios.etcd_restore(client, target)  # type: ignore[arg-type]
            self.stdout.write(f"Restored {restored['path']} (revision {restored['revision']}, "
                              f"{restored['totalKey']} keys)")
            self.stdout.write(f"store at revision {restored['restoredRevision']}, compacted there: "
                              "every watch relists")
        else:
            if target and not target.isdigit():
                raise CommandError(f'"{target}" is not a revision number')
            compacted = scenarios.etcd_compact(client, int(target or 0))  # type: ignore[arg-type]
            self.stdout.write(f"compacted revision {compacted['compactRevision']}")


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
