"""REST API routes under /api/v1/: one view per operation."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from copperhub.api.errors import api_not_found
from copperhub.api.views import (
    changesets,
    commissions,
    customers,
    integrity,
    metrics,
    reconciliation,
    root,
    syncs,
)

app_name = "api"
urlpatterns = [
    path("", root.ApiRootApi.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("copper-companies/", customers.CopperCompanyListApi.as_view(), name="copper-company-list"),
    path(
        "copper-companies/<int:copper_id>/",
        customers.CopperCompanyDetailApi.as_view(),
        name="copper-company-detail",
    ),
    path("fishbowl-customers/", customers.FishbowlCustomerListApi.as_view(), name="fishbowl-customer-list"),
    path(
        "fishbowl-customers/<int:pk>/",
        customers.FishbowlCustomerDetailApi.as_view(),
        name="fishbowl-customer-detail",
    ),
    path("sales-orders/", customers.SalesOrderListApi.as_view(), name="sales-order-list"),
    path("sales-orders/<int:pk>/", customers.SalesOrderDetailApi.as_view(), name="sales-order-detail"),
    path("sync-runs/", syncs.SyncRunListApi.as_view(), name="sync-run-list"),
    path("sync-runs/<int:pk>/", syncs.SyncRunDetailApi.as_view(), name="sync-run-detail"),
    path("copper-pulls/", syncs.CopperPullStartApi.as_view(), name="copper-pull-start"),
    path("customer-syncs/", syncs.CustomerSyncStartApi.as_view(), name="customer-sync-start"),
    path("metrics-dry-runs/", syncs.MetricsDryRunStartApi.as_view(), name="metrics-dry-run-start"),
    path("commission-lines/", commissions.CommissionLineListApi.as_view(), name="commission-line-list"),
    path("commission-report/", commissions.CommissionReportApi.as_view(), name="commission-report"),
    path(
        "commission-reconciliation/",
        reconciliation.CommissionReconciliationApi.as_view(),
        name="commission-reconciliation",
    ),
    path(
        "commission-calculations/",
        commissions.CommissionCalculationStartApi.as_view(),
        name="commission-calculation-start",
    ),
    path("integrity-reports/", integrity.IntegrityReportListApi.as_view(), name="integrity-report-list"),
    path(
        "integrity-reports/<int:pk>/",
        integrity.IntegrityReportDetailApi.as_view(),
        name="integrity-report-detail",
    ),
    path("integrity-checks/", integrity.IntegrityCheckStartApi.as_view(), name="integrity-check-start"),
    path("health/", integrity.HealthApi.as_view(), name="health"),
    path("change-sets/", changesets.ChangeSetListApi.as_view(), name="change-set-list"),
    path("change-sets/<int:pk>/", changesets.ChangeSetDetailApi.as_view(), name="change-set-detail"),
    path(
        "change-sets/<int:pk>/changes/",
        changesets.ChangeSetChangesApi.as_view(),
        name="change-set-changes",
    ),
    path(
        "change-sets/<int:pk>/approve/",
        changesets.ChangeSetApproveApi.as_view(),
        name="change-set-approve",
    ),
    path("change-sets/<int:pk>/reject/", changesets.ChangeSetRejectApi.as_view(), name="change-set-reject"),
    path("change-sets/<int:pk>/apply/", changesets.ChangeSetApplyApi.as_view(), name="change-set-apply"),
    path(
        "change-sets/<int:pk>/rollback/",
        changesets.ChangeSetRollbackApi.as_view(),
        name="change-set-rollback",
    ),
    path("metrics/", metrics.MetricsListApi.as_view(), name="metrics-list"),
    # Anything else under /api/v1/ answers in the API's JSON error shape, not Django's HTML 404 page.
    # (?s): a path holding a newline is still an API path (a JSON 404, not the HTML one).
    re_path(r"^[\s\S]*$", api_not_found),
]
