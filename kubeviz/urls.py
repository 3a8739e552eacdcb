from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import actions, health, travel, views

urlpatterns = [
    path("healthz", health.healthz),
    path("livez", health.healthz),
    path("readyz", health.healthz),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/kube/", include("kubeviz.kubeadmin.urls")),
    path("admin/", admin.site.urls),
    path("dashboard/scenario/<slug:name>", actions.scenario, name="scenario"),
    path("dashboard/clock/<slug:action>", actions.clock, name="clock"),
    path("dashboard/travel", travel.travel, name="travel"),
    path("", include("cluster.api.urls")),
    path("", views.index, name="index"),
]
