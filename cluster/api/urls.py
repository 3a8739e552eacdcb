from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^(?P<path>api|apis|version)(?:/.*)?$", views.api),
]
