from django.urls import path

from . import views

app_name = "service_requests"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("export.<str:fmt>", views.request_export, name="export"),
    path("new/", views.request_create, name="create"),
    path("assign/", views.bulk_assign, name="bulk_assign"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/edit/", views.request_edit, name="edit"),
    path("<int:pk>/assign/", views.request_assign, name="assign"),
    # the page's step forms post to the page itself ("detail"); this address takes the same steps
    path("<int:pk>/transition/", views.request_transition, name="transition"),
    path("<int:pk>/comments/", views.comment_add, name="comment"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views.attachment_download, name="attachment_download"),
]
