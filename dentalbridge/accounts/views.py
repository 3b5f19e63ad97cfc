from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dentalbridge.accounts import selectors, services
from dentalbridge.accounts.forms import ProfileForm, TokenForm
from dentalbridge.core.errors import NotFound, ValidationFailed
from dentalbridge.organizations.forms import apply_errors
from dentalbridge.privacy.policy import Perm


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, request.FILES or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        user = services.profile_update(
            actor=request.principal,
            photo=form.cleaned_data.get("photo"),
            remove_photo=request.POST.get("photo-clear") == "on",
            **fields,
        )
        messages.success(request, _("Profile saved."))
        response = redirect("profile")
        if user.language:
            # The explicit choice also becomes this browser's language cookie.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    principal = request.principal
    if principal.membership is None or not principal.may(Perm.TOKEN_MANAGE):
        messages.info(request, _("API tokens act for an organization: join or create one first."))
        return redirect("dashboard")
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.api_token_create(
                actor=principal,
                name=form.cleaned_data["name"],
                valid_days=form.cleaned_data["valid_days"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            form = TokenForm()
    token_list = request.user.api_tokens.select_related("organization").order_by("-created_at")
    response = render(
        request,
        "accounts/tokens.html",
        {"form": form, "issued": issued, "tokens": token_list},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, token_id):
    token = services.api_token_revoke(actor=request.principal, token_id=token_id)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api_tokens")


@login_required
@require_GET
def profile_photo(request, user_id):
    """A profile photo, for the person and for members of an organization they belong to."""
    owner = selectors.visible_user(viewer=request.user, user_id=user_id)
    if owner is None or not owner.photo:
        raise NotFound()
    response = FileResponse(owner.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    return response
