from django.urls import path

from . import views

app_name = "tiering"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("rfm/", views.rfm, name="rfm"),
    path("abc/", views.abc, name="abc"),
    path("changes/", views.changes, name="changes"),
    path("recompute/", views.recompute_start, name="recompute"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("accounts/<int:pk>/pin/", views.override_set, name="override"),
    path("pins/<int:pk>/end/", views.override_clear, name="override-clear"),
]
