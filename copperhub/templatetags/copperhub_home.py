"""``{% today_panel %}`` and ``{% setup_summary %}``: the top of the admin index (templates/admin/index.html)."""

from django import template

from copperhub.admin_home import today_lines
from copperhub.setup_status import TODO, setup_lines, setup_may_view

register = template.Library()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("copperhub/_today.html", takes_context=True)
def today_panel(context):
    """The daily entry points this user may use, each one click, with what awaits them."""
    user = _user(context)
    return {"lines": today_lines(user=user) if user is not None else []}


@register.inclusion_tag("copperhub/_setup_summary.html", takes_context=True)
def setup_summary(context):
    """The Setup status from stored results only (no network on the index): the lines still to do, or one
    line saying all is green; hidden from people who start no jobs."""
    user = _user(context)
    if user is None or not setup_may_view(user=user):
        return {"hidden": True}
    lines = setup_lines()
    return {"todo": [line for line in lines if line.state == TODO], "total": len(lines)}
