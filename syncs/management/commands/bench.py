"""``manage.py bench NAME [options]``: run one of the project's benchmarks and print its figures."""

import json

from django.core.management.base import BaseCommand, CommandError

from syncs.bench import benchmarks_discover


class Command(BaseCommand):
    help = "Run a benchmark (`bench list` names them; `bench all` runs each with its defaults) and print figures."

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        subparsers.add_parser("list", help="List the benchmarks.")
        subparsers.add_parser("all", help="Run every benchmark with its default options.")
        for bench in benchmarks_discover().values():
            sub = subparsers.add_parser(bench.name, help=bench.help)
            for flag, kwargs in bench.arguments.items():
                sub.add_argument(flag, **kwargs)

    def handle(self, *args, benchmark, **options):
        registry = benchmarks_discover()
        if benchmark == "list":
            for bench in registry.values():
                self.stdout.write(f"{bench.name:24} {bench.help}")
            return
        names = list(registry) if benchmark == "all" else [benchmark]
        for name in names:
            bench = registry.get(name)
            if bench is None:
                raise CommandError(f"No benchmark named {name!r}; `bench list` names them.")
            kwargs = {}
            for flag, spec in bench.arguments.items():
                dest = spec.get("dest") or flag.lstrip("-").replace("-", "_")
                kwargs[dest] = options[dest] if benchmark != "all" else spec.get("default")
            self.stdout.write(self.style.MIGRATE_HEADING(f"bench {name}"))
            figures = bench.func(**kwargs)
            for key, value in figures.items():
                self.stdout.write(
                    f"  {key}: {json.dumps(value) if isinstance(value, dict | list) else value}"
                )
