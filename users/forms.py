from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Wrong user name or password. After %(limit)s failed attempts the account is locked for a while."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.conf import settings

        # a copy per form: formatting the class's lazy message in place would freeze it in the
        # language of the first request for every later one
        self.error_messages = {
            **self.error_messages,
            "invalid_login": self.error_messages["invalid_login"] % {"limit": settings.AXES_FAILURE_LIMIT},
        }
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"
