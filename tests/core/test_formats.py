"""Number formats per language."""


def test_chinese_amounts_keep_thousands_separators():
    from django.template import Context, Template
    from django.utils import translation

    template = Template('{% load humanize %}{{ n|floatformat:"2g" }} {{ m|intcomma }}')
    with translation.override("zh-hans"):
        assert template.render(Context({"n": 52452486.5, "m": 1234567})) == "52,452,486.50 1,234,567"
