from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("", views.home, name="home"),
    path("list/", views.visit_list, name="visit_list"),
    path("list/export.<str:fmt>", views.visit_export, name="visit_export"),
    path("new/", views.visit_create, name="visit_create"),
    path("<int:pk>/", views.visit_detail, name="visit_detail"),
    path("<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("<int:pk>/confirm/", views.visit_confirm, name="visit_confirm"),
    path("<int:pk>/record/", views.visit_complete, name="visit_complete"),
    path("<int:pk>/cancel/", views.visit_cancel, name="visit_cancel"),
    path("callbacks/", views.callback_list, name="callback_list"),
    path("callbacks/export.<str:fmt>", views.callback_export, name="callback_export"),
    path("callbacks/<int:pk>/", views.callback_detail, name="callback_detail"),
    path("callbacks/<int:pk>/resolve/", views.callback_resolve, name="callback_resolve"),
    path("follow-ups/", views.follow_up_list, name="followup_list"),
    path("follow-ups/new/", views.follow_up_create, name="followup_create"),
    path("follow-ups/<int:pk>/", views.follow_up_detail, name="followup_detail"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="followup_done"),
    path("worklist/", views.worklist, name="worklist"),
    path("worklist/caller/", views.caller_lookup, name="caller_lookup"),
    path("overdue/", views.overdue, name="overdue"),
    path("overdue/export.<str:fmt>", views.overdue_export, name="overdue_export"),
    path("coverage/", views.coverage, name="coverage"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/subscribe/", views.calendar_subscribe, name="calendar_subscribe"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("accounts/<int:pk>/compose/", views.compose, name="compose"),
]
