app_name = "tiering"
urlpatterns = []
