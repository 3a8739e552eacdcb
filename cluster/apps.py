from django.apps import AppConfig


class ClusterConfig(AppConfig):
    """The etcd analog (``cluster.store``) and the API server (``cluster.api``)."""

    name = "cluster"
    verbose_name = "Cluster state"
