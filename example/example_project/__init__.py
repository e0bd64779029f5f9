"""A production-shaped project using django-govuk-notify-outbox.

The Celery app is imported here so that `shared_task` tasks (including
django_govuk_notify_outbox.tasks.sync) bind to it, as Celery's Django guide
recommends.
"""

from __future__ import annotations

from example_project.celery import app as celery_app

__all__ = ["celery_app"]
