"""``{% integrity_dashboard %}``: the health dashboard block of the admin index, from the latest stored report."""

from django import template

from integrity.selectors import dashboard

register = template.Library()


@register.inclusion_tag("integrity/_dashboard.html", takes_context=True)
def integrity_dashboard(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        **dashboard(),
        "csrf_token": context.get("csrf_token"),
        "can_start": bool(user and user.has_perm("syncs.start_syncrun")),
    }
