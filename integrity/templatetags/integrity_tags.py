"""``{% integrity_dashboard %}``: the health board (its own admin page, /admin/health/), from the stored reports."""

from django import template

from integrity.selectors import dashboard
from syncs.models import SyncRun
from syncs.services.runs import sync_run_may_start

register = template.Library()


@register.inclusion_tag("integrity/_dashboard.html", takes_context=True)
def integrity_dashboard(context):
    """The health board, for people who may view integrity reports (the API's /health/ asks the same)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not (user and user.has_perm("integrity.view_integrityreport")):
        return {"hidden": True}
    return {
        **dashboard(),
        "csrf_token": context.get("csrf_token"),
        "can_start": sync_run_may_start(user=user, kind=SyncRun.Kind.INTEGRITY),
    }
