"""``manage.py demo_setup --companies 1662 --seed 7``: what ``make demo`` runs after ``migrate``.

1. ``demo_data`` writes the demo world under ``var/demo``;
2. ``fishbowl_import`` loads its two CSVs (skipped with a notice when that command is not installed);
3. the commission sales reps (the demo's Copper users with a Fishbowl username);
4. the logins: superuser ``admin`` (created, or its password reset) and a second staff user ``reviewer`` for
   two-person approvals, each with a fresh random password, printed with the admin URL.

Idempotent: running it again regenerates the same files, re-imports them (which changes nothing) and resets the
two passwords.
"""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

from commissions.models import SalesRep, Title
from copper.sandbox.world import REFERENCE_COMPANIES, demo_users

ADMIN_URL = "http://127.0.0.1:{port}/admin/"
LOGINS = (("admin", "admin@example.com"), ("reviewer", "reviewer@example.com"))


def demo_sales_reps_ensure(*, seed: int) -> int:
    """Create the commission reps of the demo world (its Copper users with a Fishbowl username); idempotent."""
    reps = [user for user in demo_users(seed) if user.username]
    for index, user in enumerate(reps):
        SalesRep.objects.update_or_create(
            fishbowl_username=user.username,
            defaults={
                "name": user.name,
                "title": Title.SALES_MANAGER if index == 0 else Title.ACCOUNT_EXECUTIVE,
                "copper_user_id": user.copper_id,
            },
        )
    return len(reps)


def demo_login_ensure(*, username: str, email: str) -> str:
    """Create or reset a superuser and return its new random password."""
    password = secrets.token_urlsafe(12)
    user, _created = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
    user.email = user.email or email
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    return password


class Command(BaseCommand):
    help = "Generate and import the demo world, then create the admin and reviewer logins and print them."

    def add_arguments(self, parser):
        parser.add_argument("--companies", type=int, default=REFERENCE_COMPANIES)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--out", type=Path, default=None, help="Output directory (default var/demo).")
        parser.add_argument("--port", type=int, default=8000, help="The web server's port (printed in the login URL).")

    def handle(self, *args, companies, seed, out, port=8000, **options):
        out_dir = out or Path(settings.VAR_DIR) / "demo"
        call_command("demo_data", companies=companies, seed=seed, out=out_dir, stdout=self.stdout)
        if "fishbowl_import" in get_commands():
            call_command(
                "fishbowl_import",
                customers=str(out_dir / "fishbowl_customers.csv"),
                orders=str(out_dir / "fishbowl_sales_order_lines.csv"),
                stdout=self.stdout,
                stderr=self.stderr,
            )
        else:
            self.stderr.write(
                "fishbowl_import is not available: the Fishbowl CSVs were written but not imported."
            )
        reps = demo_sales_reps_ensure(seed=seed)
        self.stdout.write(f"{reps} commission sales reps ready.")
        passwords = {
            username: demo_login_ensure(username=username, email=email) for username, email in LOGINS
        }
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo ready. Log in at {ADMIN_URL.format(port=port)}"))
        for username, password in passwords.items():
            self.stdout.write(f"  user: {username:<9} password: {password}")
        return None
