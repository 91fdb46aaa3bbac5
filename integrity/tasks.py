"""django-q2 tasks of the integrity app (thin: one service call each)."""

import logging

from integrity.alerts import alert_deliver_pending
from integrity.models import IntegrityReport
from integrity.services import integrity_report_create

logger = logging.getLogger(__name__)


def integrity_report_scheduled() -> int:
    """The hourly schedule (created by migration 0002): store a report; it queues the alerts due."""
    report = integrity_report_create(trigger=IntegrityReport.Trigger.SCHEDULE)
    return report.pk


def integrity_alerts_deliver() -> int:
    """Queued by each report with alerts pending: deliver those due (retries wait out their backoff)."""
    try:
        return alert_deliver_pending()
    except Exception:  # a broken alert must not fail the task forever; the next report queues it again
        logger.exception("Delivering integrity alerts failed")
        return 0


def integrity_alerts_retry() -> int:
    """Retry the alerts whose delivery failed and whose backoff has passed."""
    return alert_deliver_pending()
