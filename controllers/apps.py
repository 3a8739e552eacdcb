from django.apps import AppConfig


class ControllersConfig(AppConfig):
    """The control plane: controller runtime, scheduler, controllers, kubelets, clock."""

    name = "controllers"
    verbose_name = "Control plane"
