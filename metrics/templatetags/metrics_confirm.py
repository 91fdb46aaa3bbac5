"""``{% change_set_actions change_set %}``: the change-set page's write buttons, each leading to its
confirmation page (``metrics.admin_confirm``); the builder sees a sentence instead of Approve."""

from django import template

from metrics.admin_confirm import change_set_actions as actions_for

register = template.Library()


@register.inclusion_tag("metrics/_changeset_actions.html", takes_context=True)
def change_set_actions(context, change_set):
    return actions_for(change_set=change_set, user=context["request"].user)
