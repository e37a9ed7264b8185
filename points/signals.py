"""Signals other apps send to points; points' receivers (points/receivers.py) act on them.

``activity_completed``: a household did something an earning rule pays for (finished an online
lesson, attended a class session). Sent on commit by the app that recorded the activity, with
keyword arguments ``household``, ``rule_category``, ``rule_code``, ``source_type``, ``source_id``,
``actor`` (the user who recorded it), ``idempotency_key`` (unique per activity: a repeat awards
nothing) and optionally ``occurred_on`` and ``reason``.
"""

from django.dispatch import Signal

activity_completed = Signal()
