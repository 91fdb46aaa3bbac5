"""``manage.py bench NAME [options]``: run one of the project's benchmarks and print its figures."""

import json
import os

from django.core.management.base import BaseCommand, CommandError

from syncs.bench import CHILD_ENV, benchmark_run_apart, benchmarks_discover


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
        if benchmark == "all":
            failed = [
                name
                for name, bench in registry.items()
                if benchmark_run_apart(bench, [], write=self.stdout.write)
            ]
            if failed:
                raise CommandError(f"These benchmarks failed (their output is above): {', '.join(failed)}")
            return
        bench = registry.get(benchmark)
        if bench is None:
            raise CommandError(f"No benchmark named {benchmark!r}; `bench list` names them.")
        kwargs, args = {}, []
        for flag, spec in bench.arguments.items():
            dest = spec.get("dest") or flag.lstrip("-").replace("-", "_")
            kwargs[dest] = options[dest]
            if spec.get("action") == "store_true":
                args += [flag] if options[dest] else []
            elif options[dest] is not None:
                args += [flag, str(options[dest])]
        if not os.environ.get(CHILD_ENV):
            # Measured in a process of its own (see benchmark_run_apart), the same alone as under `bench all`.
            if benchmark_run_apart(bench, args, write=self.stdout.write):
                raise CommandError(f"The benchmark {benchmark!r} failed (its output is above).")
            return
        self.stdout.write(self.style.MIGRATE_HEADING(f"bench {benchmark}"))
        figures = bench.func(**kwargs)
        for key, value in figures.items():
            self.stdout.write(f"  {key}: {json.dumps(value) if isinstance(value, dict | list) else value}")
