"""The audit log table (PRV-6). Rows are only ever inserted, through ``privacy.audit.record``."""

from django.db import models


class AuditEvent(models.Model):
    """One append-only, hash-chained line: who, acting for which organization, did what to which
    object, why, when, from where.

    People and objects are referenced by their public UUIDs, not foreign keys: the log must
    outlive the rows it speaks of, and must never be changed by a cascade. ``hash`` is
    HMAC-SHA256 under the key ``key_id`` names (a key the database does not hold) of
    prev_hash ‖ canonical row — plain SHA-256 for rows written before the chain was keyed, which
    have no ``key_id``; ``seq`` is unique so the chain can never fork.
    """

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    outcome = models.CharField(max_length=16)
    actor_id = models.UUIDField(null=True, blank=True, db_index=True)
    organization_id = models.UUIDField(null=True, blank=True, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    patient_id = models.UUIDField(null=True, blank=True, db_index=True)
    reason = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=16, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["organization_id", "seq"], name="audit_org_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.outcome}"
