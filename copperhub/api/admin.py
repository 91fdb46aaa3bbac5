"""API tokens are managed here; a new token's key is shown once, on creation.

A token is always created for the person creating it. Only a superuser may instead create it for a service
account (an existing one, or a new one made here: a user without a usable password who is never staff). The
user of a saved token is never editable, and the list shows who created each token. People who are not
superusers see and manage only their own tokens.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from copperhub.api.models import ApiToken, ServiceAccount
from copperhub.api.services import api_token_create, api_token_revoke, service_account_create

MYSELF = ""
NEW_ACCOUNT = "new"


class MyselfOnlyAddForm(forms.ModelForm):
    """The add form of everyone who is not a superuser: the token is theirs."""

    class Meta:
        model = ApiToken
        fields = ["name", "read_only", "expires_at"]

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None and value <= timezone.now():
            raise ValidationError("Give a time in the future (or none).")
        return value


class ApiTokenAddForm(MyselfOnlyAddForm):
    """The superuser's add form: the token may be for a service account (see ``ApiTokenAdmin.get_form``)."""

    owner = forms.ChoiceField(
        required=False,
        label="Token for",
        help_text="Whom the token acts as. Only a superuser may choose a service account.",
    )
    new_service_account = forms.CharField(
        required=False, max_length=150, help_text="Username of the new service account (it cannot log in)."
    )
    service_account_purpose = forms.CharField(required=False, max_length=200)

    class Meta(MyselfOnlyAddForm.Meta):
        fields = [*MyselfOnlyAddForm.Meta.fields, "owner", "new_service_account", "service_account_purpose"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = ServiceAccount.objects.select_related("user")
        self.fields["owner"].choices = [
            (MYSELF, "Myself"),
            *((str(a.pk), str(a)) for a in accounts),
            (NEW_ACCOUNT, "A new service account (named below)"),
        ]

    def clean(self):
        data = super().clean()
        if data.get("owner") != NEW_ACCOUNT:
            return data
        username = (data.get("new_service_account") or "").strip()
        User = get_user_model()
        if not username:
            self.add_error("new_service_account", "Name the new service account.")
        elif User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
            self.add_error("new_service_account", f"A user named {username!r} already exists.")
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "created_by",
        "key_prefix",
        "read_only",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["read_only"]
    list_select_related = ["user", "created_by"]
    search_fields = ["name", "user__username", "created_by__username", "key_prefix"]
    actions = ["revoke"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def get_fields(self, request, obj=None):
        if obj is None:
            fields = ["name", "read_only", "expires_at"]
            if request.user.is_superuser:
                fields += ["owner", "new_service_account", "service_account_purpose"]
            return fields
        return [
            "name", "user", "created_by", "read_only", "expires_at", "revoked_at", "key_prefix", "created_at",
            "last_used_at",
        ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "created_by", "key_prefix", "created_at", "last_used_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm if request.user.is_superuser else MyselfOnlyAddForm
            kwargs["fields"] = self.get_fields(request, obj)
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            # The user is not in the change form; the model refuses a re-pointed token anyway.
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        try:
            account = self._service_account(request, data)
            token, key = api_token_create(
                name=data["name"],
                created_by=request.user,
                read_only=data["read_only"],
                expires_at=data.get("expires_at"),
                service_account=account,
            )
        except (ValidationError, PermissionDenied) as exc:
            # Raised before anything is saved (the services are atomic); the admin's own check ran first.
            raise PermissionDenied(str(exc)) from exc
        # The admin logs and links the form's instance: make it the token just created.
        for field in ApiToken._meta.concrete_fields:
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        messages.warning(request, f"The token's key, shown only this once: {key}")

    def _service_account(self, request, data) -> ServiceAccount | None:
        owner = data.get("owner") or MYSELF
        if owner == MYSELF:
            return None
        if owner == NEW_ACCOUNT:
            return service_account_create(
                username=data["new_service_account"],
                purpose=data.get("service_account_purpose") or "",
                created_by=request.user,
            )
        return ServiceAccount.objects.select_related("user").get(pk=int(owner))

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        count = api_token_revoke(tokens=queryset)
        self.message_user(request, f"Revoked {count} token(s).")


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    """Service accounts are created from the token form; here they are listed (their users edited as users)."""

    list_display = ["user", "purpose", "created_by", "created_at"]
    list_select_related = ["user", "created_by"]
    readonly_fields = ["user", "created_by", "created_at"]
    fields = ["user", "purpose", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False
