from django.apps import AppConfig


class KubeVizConfig(AppConfig):
    """The Django project's own app: dashboard, runcluster, demo data.

    Nothing starts here: workers start from management commands.
    """

    name = "kubeviz"
    verbose_name = "KubeViz"
