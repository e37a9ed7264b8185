"""The Celery application. Every periodic schedule is declared in settings.CELERY_BEAT_SCHEDULE."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meijia.settings")

app = Celery("meijia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
