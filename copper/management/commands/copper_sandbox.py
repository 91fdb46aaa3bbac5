"""``manage.py copper_sandbox``: serve a local Copper over the demo world until interrupted.

It loads the world of ``--seed`` / ``--companies`` from the demo generator on first start (the same companies
``demo_data`` writes) into its own SQLite state file, and keeps PUT edits there across restarts. Point
copperhub at it with ``COPPER_BASE_URL=http://127.0.0.1:<port>`` (``make demo`` does).
"""

import signal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from copper.sandbox.server import default_state_path, sandbox_serve
from copper.sandbox.store import SandboxStateMismatch
from copper.sandbox.world import REFERENCE_COMPANIES


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run a local Copper API sandbox (paging, filters, PUT semantics, rate limit, fault injection)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--companies", type=int, default=REFERENCE_COMPANIES)
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=180,
            help="Requests per rolling 60 s before a 429 (0 = unlimited).",
        )
        parser.add_argument(
            "--fault-rate",
            type=float,
            default=0.0,
            help="Probability per request of a fault: 429 (with or without Retry-After), 500/502/503, or slow.",
        )
        parser.add_argument("--slow-seconds", type=float, default=2.0, help="How long a slow fault waits.")
        parser.add_argument(
            "--state",
            type=Path,
            default=None,
            help="State file (default var/sandbox/copper-<seed>-<companies>.sqlite3).",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Discard the state file and reload the world."
        )
        parser.add_argument("--verbose-requests", action="store_true", help="Log every request.")
        parser.add_argument(
            "--search-cap", type=int, default=100_000, help="Rows one search can reach (Copper: 100,000)."
        )

    def handle(self, *args, **options):
        if not 0 <= options["fault_rate"] <= 1:
            raise CommandError("--fault-rate must be between 0 and 1.")
        if options["rate_limit"] < 0 or options["companies"] < 1:
            raise CommandError("--rate-limit must be >= 0 and --companies >= 1.")
        seed, companies = options["seed"], options["companies"]
        state = options["state"] or default_state_path(
            seed=seed, companies=companies, root=Path(settings.VAR_DIR) / "sandbox"
        )
        self.stdout.write(f"Loading the Copper sandbox state {state} (seed {seed}, {companies:,} companies)…")
        try:
            server, thread, base_url = sandbox_serve(
                host=options["host"],
                port=options["port"],
                state_path=state,
                seed=seed,
                companies=companies,
                rate_limit=options["rate_limit"],
                fault_rate=options["fault_rate"],
                slow_seconds=options["slow_seconds"],
                reset=options["reset"],
                verbose=options["verbose_requests"],
            )
        except (SandboxStateMismatch, OSError) as exc:
            raise CommandError(str(exc)) from exc
        server.store.search_cap = options["search_cap"]
        limit = f"{options['rate_limit']}/min" if options["rate_limit"] else "unlimited"
        self.stdout.write(
            self.style.SUCCESS(
                f"Copper sandbox listening on {base_url} (rate limit {limit}, fault rate {options['fault_rate']})."
            )
        )
        # `make demo` stops its children with SIGTERM: stop as cleanly as on Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while thread.is_alive():
                thread.join(timeout=0.5)
        except KeyboardInterrupt:
            self.stdout.write("Stopping the Copper sandbox.")
        finally:
            server.shutdown()
            server.server_close()
