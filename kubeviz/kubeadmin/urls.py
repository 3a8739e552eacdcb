from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="kube-admin"),
    path("<slug:slug>/", views.object_list, name="kube-admin-list"),
    path("<slug:slug>/new/", views.create, name="kube-admin-create"),
    path("<slug:slug>/<str:namespace>/<str:name>/", views.edit, name="kube-admin-edit"),
]
