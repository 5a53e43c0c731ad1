"""Number formats per language."""


def test_chinese_amounts_keep_thousands_separators():
    from django.template import Context, Template
    from django.utils import translation

    template = Template('{% load humanize %}{{ n|floatformat:"2g" }} {{ m|intcomma }}')
    with translation.override("zh-hans"):
        assert template.render(Context({"n": 52452486.5, "m": 1234567})) == "52,452,486.50 1,234,567"


def test_one_iso_date_format_in_every_language():
    import datetime

    from django.template import Context, Template
    from django.utils import translation

    template = Template("{{ d }} {{ d|date }} {{ d|date:'SHORT_DATE_FORMAT' }} {{ t|date:'DATETIME_FORMAT' }}")
    context = Context({"d": datetime.date(2026, 9, 29), "t": datetime.datetime(2026, 9, 29, 14, 5)})
    for language in ("en", "zh-hans"):
        with translation.override(language):
            assert template.render(context) == "2026-09-29 2026-09-29 2026-09-29 2026-09-29 14:05", language


def test_date_inputs_render_iso_and_phone_inputs_are_tel_in_every_language():
    import datetime

    from django import forms
    from django.utils import translation

    from core.forms import BootstrapFormMixin

    class Form(BootstrapFormMixin, forms.Form):
        day = forms.DateField(widget=forms.DateInput)
        phone = forms.CharField()
        name = forms.CharField()

    for language in ("en", "zh-hans"):
        with translation.override(language):
            html = str(Form(initial={"day": datetime.date(2026, 11, 30)}))
            assert 'type="date"' in html and 'value="2026-11-30"' in html, language
            assert 'type="tel"' in html and 'autocomplete="tel"' in html
            assert html.count('type="text"') == 1  # the name only
            bound = Form(data={"day": "2026-11-29", "phone": "x"})  # a typed date survives a re-render
            assert 'value="2026-11-29"' in str(bound["day"])
            assert bound.is_valid() is False or bound.cleaned_data["day"] == datetime.date(2026, 11, 29)
