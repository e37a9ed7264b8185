"""Read replicas: which reads may go to a replica that lags a second, and which must not.

With ``DATABASE_REPLICA_URLS`` set, settings add one database alias per replica (``replica1``,
``replica2``, …) and install :class:`ReplicaRouter`. Every write goes to the primary
(``default``), and so does every read unless the code says it may lag: inside
:func:`replica_reads` (or a request that :class:`ReplicaReadsMiddleware` lets through: a GET or
HEAD of a view named in ``settings.REPLICA_READ_VIEWS`` — campaign pages and honour boards,
history lists, exports, dashboards). Even there a read goes to the primary once anything in the
same context has written (the read must see its own write) and inside any transaction on the
primary (its locks and its snapshot are there). The counter, the balance after a redemption,
approvals and the code page are not listed, so they read the primary.

Raw SQL through ``django.db.connection`` (the counter's prepared statements, the ledger's and the
redemption's functions) always runs on the primary.
"""

from __future__ import annotations

import contextvars
import random
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_PREFIX = "replica"

# None: every read on the primary. A dict: reads may go to a replica until something writes.
_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "meijia_replica_reads", default=None
)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside may come from a replica (a second behind), until the first write."""
    token = _context.set({"wrote": False})
    try:
        yield
    finally:
        _context.reset(token)


class ReplicaRouter:
    """Writes and migrations on the primary; reads on a replica only where they may lag."""

    def db_for_read(self, model, **hints) -> str:
        state = _context.get()
        if state is None or state["wrote"] or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        replicas = replica_aliases()
        return random.choice(replicas) if replicas else DEFAULT_DB_ALIAS  # noqa: S311

    def db_for_write(self, model, **hints) -> str:
        state = _context.get()
        if state is not None:
            state["wrote"] = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replicas hold the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Let the views of ``settings.REPLICA_READ_VIEWS`` read from a replica on GET and HEAD."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            token = getattr(request, "_replica_reads_token", None)
            if token is not None:
                _context.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            request.method in {"GET", "HEAD"}
            and match is not None
            and match.view_name in settings.REPLICA_READ_VIEWS
            and replica_aliases()
        ):
            request._replica_reads_token = _context.set({"wrote": False})
        return None
