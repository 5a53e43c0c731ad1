from django.urls import path

from . import views

app_name = "opportunities"
urlpatterns = [
    path("", views.board, name="board"),
    path("list/", views.opportunity_list, name="list"),
    path("export.<str:fmt>", views.opportunity_export, name="export"),
    path("forecast/", views.forecast, name="forecast"),
    path("analysis/", views.analysis, name="analysis"),
    path("new/", views.opportunity_create, name="create"),
    path("lookup/accounts/", views.account_lookup, name="account_lookup"),
    path("<int:pk>/", views.opportunity_detail, name="detail"),
    path("<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/archive/", views.opportunity_archive, name="archive"),
    path("<int:pk>/contacts/", views.contact_add, name="contact_add"),
    path("contacts/<int:pk>/remove/", views.contact_remove, name="contact_remove"),
    path("<int:pk>/quotes/new/", views.quote_create, name="quote_create"),
    path("quotes/approvals/", views.quote_approvals, name="quote_approvals"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote"),
    path("quotes/<int:pk>/edit/", views.quote_edit, name="quote_edit"),
    path("quotes/<int:pk>/revise/", views.quote_revise, name="quote_revise"),
    path("quotes/<int:pk>/decide/", views.quote_decide, name="quote_decide"),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/<str:action>/", views.quote_action, name="quote_action"),
]
