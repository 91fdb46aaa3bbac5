"""``manage.py bench api``: list N Copper companies through the API page by page."""

import statistics
import time

from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from copper.models import CopperCompany, CopperUser
from syncs.bench import Measure, QueryCount, benchmark, scratch_database


@benchmark(
    "api",
    arguments={
        "--companies": {"type": int, "default": 100_000},
        "--page-size": {"type": int, "default": 100},
    },
)
def bench_api(*, companies: int, page_size: int) -> dict:
    """Page through N companies via /api/v1/copper-companies/: queries per page and p95 page time."""
    with scratch_database():
        CopperUser.objects.bulk_create([CopperUser(copper_id=i, name=f"Rep {i}") for i in range(1, 13)])
        batch = []
        for i in range(1, companies + 1):
            batch.append(
                CopperCompany(
                    copper_id=i,
                    name=f"Company {i:06d}",
                    assignee_id=1 + i % 12,
                    account_order_id=str(i),
                    account_number=str(i),
                    is_active_customer=i % 10 != 0,
                    account_type="Wholesale",
                    custom_fields=[{"custom_field_definition_id": 1, "value": str(i)}],
                )  # fmt: skip
            )
            if len(batch) == 5000:
                CopperCompany.objects.bulk_create(batch)
                batch = []
        CopperCompany.objects.bulk_create(batch)
        user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-password")
        client = APIClient(HTTP_HOST="localhost")
        client.force_authenticate(user)
        url = f"/api/v1/copper-companies/?page_size={page_size}"
        times, queries, rows = [], set(), 0
        with Measure() as measure:
            while url:
                start = time.perf_counter()
                with QueryCount() as page_queries:
                    response = client.get(url)
                times.append(time.perf_counter() - start)
                queries.add(page_queries.count)
                body = response.json()
                rows += len(body["results"])
                url = body["next"]
        times.sort()
        return {
            "companies listed": rows,
            "pages": len(times),
            "queries per page (distinct values)": sorted(queries),
            "p50 page ms": round(statistics.median(times) * 1000, 1),
            "p95 page ms": round(times[int(len(times) * 0.95) - 1] * 1000, 1),
            "max page ms": round(times[-1] * 1000, 1),
            "total seconds": round(measure.seconds, 1),
            "peak memory MiB": measure.peak_mib,
        }
