from django.urls import path

from . import import_views

app_name = "imports"

urlpatterns = [
    path("<str:kind>/", import_views.import_start, name="start"),
    path("<str:kind>/template.<str:fmt>", import_views.import_template, name="template"),
    path("jobs/<int:pk>/", import_views.import_job, name="job"),
    path("jobs/<int:pk>/confirm/", import_views.import_confirm, name="confirm"),
    path("jobs/<int:pk>/discard/", import_views.import_discard, name="discard"),
    path("jobs/<int:pk>/errors.<str:fmt>", import_views.import_errors, name="errors"),
]
