"""`{% load list_filters %}`: the one way a list page folds its filters on a phone.

    <form class="card card-body shadow-sm mb-3 filter-bar" ...><div class="row g-2">
      <div class="col col-md-4"><input type="search" name="q" ...></div>
      {% filters_fold "contract-filters" %}
        <div class="col-6 col-md-2"><select name="status" ...></select></div>
        ...
      {% endfilters_fold %}
    </div></form>

Below the md breakpoint the columns between the tags fold behind one "Filters" button (with a
badge counting the filters in use); from md up they sit in the outer row as before (app.css:
`.filters-fold`). Options: `active=n` gives the count (without it, the request's parameters
other than the search, sort, page and page size that hold a value other than "" or "all" are
counted); `open=value` shows the fold unfolded when the value is true (a form with errors)."""

from django import template
from django.template.loader import render_to_string

register = template.Library()

NOT_FILTERS = frozenset({"q", "sort", "page", "per_page", "queue", "export", "format"})
OPTIONS = ("active", "open")


def active_filter_count(query) -> int:
    """How many filters the query string sets (a value of "" or "all" sets none)."""
    return len({key for key, value in query.items() if key not in NOT_FILTERS and value not in ("", "all")})


class FiltersFoldNode(template.Node):
    def __init__(self, fold_id, options, nodelist):
        self.fold_id, self.options, self.nodelist = fold_id, options, nodelist

    def render(self, context):
        values = {name: value.resolve(context) for name, value in self.options.items()}
        if "active" not in values:
            request = context.get("request")
            values["active"] = active_filter_count(request.GET) if request is not None else 0
        return render_to_string(
            "includes/filters_fold.html",
            {
                "fold_id": self.fold_id.resolve(context),
                "active": values["active"],
                "open": bool(values.get("open")),
                "content": self.nodelist.render(context),
            },
        )


@register.tag
def filters_fold(parser, token):
    """`{% filters_fold "id" [active=count] [open=condition] %}` … `{% endfilters_fold %}`."""
    bits = token.split_contents()
    usage = 'usage: {% filters_fold "id" [active=count] [open=condition] %} … {% endfilters_fold %}'
    if len(bits) < 2:
        raise template.TemplateSyntaxError(usage)
    options = {}
    for bit in bits[2:]:
        name, sep, value = bit.partition("=")
        if not sep or name not in OPTIONS or name in options:
            raise template.TemplateSyntaxError(usage)
        options[name] = parser.compile_filter(value)
    nodelist = parser.parse(("endfilters_fold",))
    parser.delete_first_token()
    return FiltersFoldNode(parser.compile_filter(bits[1]), options, nodelist)
