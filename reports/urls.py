from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("reports/", views.report_index, name="report_index"),
    path("reports/<slug:name>/", views.report_detail, name="report"),
]
