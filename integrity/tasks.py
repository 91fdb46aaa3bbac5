"""django-q2 tasks of the integrity app (thin: one service call each)."""

from integrity.alerts import alert_deliver_pending
from integrity.models import IntegrityReport
from integrity.services import integrity_report_create


def integrity_report_scheduled() -> int:
    """The hourly schedule (created by migration 0002): store a report; alerts due are delivered with it."""
    report = integrity_report_create(trigger=IntegrityReport.Trigger.SCHEDULE)
    return report.pk


def integrity_alerts_retry() -> int:
    """Retry the alerts whose delivery failed and whose backoff has passed."""
    return alert_deliver_pending()
