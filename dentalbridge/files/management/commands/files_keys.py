"""Manage the keys that encrypt patient files (docs/operators.md, "Keys").

files_keys new-master-key        print a new master key entry to put first in FILES_MASTER_KEYS
files_keys status                which master key wraps how many tenant keys
files_keys rotate-master         rewrap every tenant key under the first (newest) master key
files_keys rotate-tenant ORG_ID  give an organization a new tenant key; rewrap its patients' keys
"""

from django.core.management.base import BaseCommand, CommandError

from dentalbridge.files import access, keys
from dentalbridge.files.models import TenantKey
from dentalbridge.organizations.models import Organization


class Command(BaseCommand):
    help = "Create, inspect and rotate the keys that encrypt patient files."

    def add_arguments(self, parser):
        parser.add_argument(
            "action", choices=["new-master-key", "status", "rotate-master", "rotate-tenant"]
        )
        parser.add_argument("organization", nargs="?", help="organization id (rotate-tenant)")

    def handle(self, *args, action, organization=None, **options):
        if action == "new-master-key":
            self.stdout.write(keys.new_master_key_entry())
            return
        if action == "status":
            ring = [key_id for key_id, _fernet in keys.master_ring()]
            self.stdout.write(f"master keys configured (newest first): {', '.join(ring)}")
            for key_id in ring:
                count = TenantKey.objects.filter(master_key_id=key_id, retired_at=None).count()
                self.stdout.write(f"  {key_id}: wraps {count} active tenant key(s)")
            stale = TenantKey.objects.exclude(master_key_id__in=ring).count()
            if stale:
                raise CommandError(
                    f"{stale} tenant key(s) are wrapped by a master key not configured"
                )
            return
        if action == "rotate-master":
            moved = keys.rotate_master_keys()
            self.stdout.write(f"rewrapped {moved} tenant key(s) under {keys.master_ring()[0][0]}")
            return
        if not organization:
            raise CommandError("rotate-tenant needs an organization id")
        org = Organization.objects.filter(public_id=organization).first()
        if org is None:
            raise CommandError(f"no organization {organization}")
        patient_keys = access.patient_keys_of_organization(org)
        new = keys.rotate_tenant_key(org, patient_keys)
        self.stdout.write(f"{org.name}: new tenant key {new.key_id}, {len(patient_keys)} rewrapped")
