"""The Celery application; tasks stay thin shells over services and ``matching``."""

from __future__ import annotations

from celery import Celery

from service.settings import get_settings

# Longest expected match run is well under a minute; the hard limit sits above it and
# the broker's visibility timeout above that, so a job is never handed out twice while
# it can still be running.
TASK_SOFT_TIME_LIMIT = 120
TASK_TIME_LIMIT = 180
VISIBILITY_TIMEOUT = 600


def create_celery(broker_url: str | None = None) -> Celery:
    """A Celery app on ``broker_url`` (default: the settings' broker)."""
    settings = get_settings()
    url = broker_url or settings.broker_url or "redis://127.0.0.1:6379/0"
    app = Celery("tessera", broker=url, include=["service.worker.tasks"])
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_soft_time_limit=TASK_SOFT_TIME_LIMIT,
        task_time_limit=TASK_TIME_LIMIT,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        # run by the beat of one worker (`tessera worker --beat`; `tessera run` gives it
        # to its first worker); a second beat would only find the sweep's lock taken
        beat_schedule={
            "retention-sweep": {
                "task": "tessera.retention_sweep",
                "schedule": settings.retention_sweep_interval_s,
                "options": {"expires": settings.retention_sweep_interval_s},
            }
        },
    )
    return app


celery_app = create_celery()


@celery_app.task(name="tessera.ping")
def ping() -> str:
    """A no-op a health check or a test can send through the broker."""
    return "pong"
