from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("export.<str:fmt>", views.account_export, name="export"),
    path("new/", views.account_create, name="create"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/transactions/", views.account_transactions, name="transactions"),
    path("<int:pk>/timeline/", views.account_timeline, name="timeline"),
    path("<int:pk>/panels/<str:key>/", views.account_panel, name="panel"),
    path("<int:pk>/alerts/", views.account_alerts, name="alerts"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/archive/", views.account_archive, name="archive"),
    path("<int:pk>/restore/", views.account_restore, name="restore"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/feedback/new/", views.feedback_create, name="feedback_create"),
    path("feedback/<int:pk>/status/", views.feedback_status, name="feedback_status"),
    path("<int:pk>/competitors/new/", views.competitor_add, name="competitor_add"),
]
