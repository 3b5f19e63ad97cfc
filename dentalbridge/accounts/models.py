"""People: users (e-mail sign-in, optional profile — ACC-1, ACC-5) and personal access tokens."""

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dentalbridge.core.emails import normalized_email


def profile_photo_path(instance, filename: str) -> str:
    # Generated name: the uploaded file name may carry personal data (STYLE.md §9).
    return f"profile-photos/{uuid.uuid4().hex}.jpg"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        # The one form of an address (issue 13, finding 7): raises ValidationError for one that
        # hides characters or names an IP address.
        user = self.model(email=normalized_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(default=True)
    # Closed by the person (ACC-6): inactive at once, purged when the retention rule says.
    closed_at = models.DateTimeField(null=True, blank=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Profile (ACC-5): every field optional.
    photo = models.ImageField(_("photo"), upload_to=profile_photo_path, blank=True)
    location = models.CharField(_("location"), max_length=120, blank=True)
    specialisation = models.CharField(_("specialisation"), max_length=120, blank=True)
    vision = models.TextField(_("vision"), max_length=2000, blank=True)
    current_job = models.CharField(_("current job"), max_length=120, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email


class ApiToken(models.Model):
    """A personal access token, scoped to one organization, stored only as a SHA-256 hash.

    The token has 256 bits of randomness, so a plain hash is as strong as a slow one here and lets
    every request look it up by index.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
