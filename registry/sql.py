"""Plain SQL for the few statements every counter redemption runs.

The counter's confirmation and every change of points run a few statements each (the device, the
household behind a code, and one call of the ledger's or the counter's PostgreSQL function, see
docs/ledger.md); built with the ORM, composing them took longer than PostgreSQL took to run them,
and PostgreSQL spent most of its own time parsing and planning them again for every request. So
those statements (in ``registry.services.codes``, ``shops.services.devices``, ``points.services.ledger``
and ``shops.services.redemptions``) are written in SQL and run through :func:`prepared_cursor`,
which binds parameters on the server and keeps each statement prepared on the connection. Their
rows become ordinary model instances with :func:`from_row` (the fields read; every other field
deferred and loaded on first use, as with ``QuerySet.only``) or :func:`inserted`.

Everything else keeps the ORM. Queries still pass through Django's cursor wrapper, so
``CaptureQueriesContext``, ``assertNumQueries`` and execute wrappers see them.
"""

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import ForeignKey, Model


class _PreparedCursor(psycopg.Cursor):
    """Server-side binding; each statement is prepared the first time a connection runs it."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)

    def _send_query_prepared(self, name, pgq, *, binary=None):
        # Keep the statement's text for Django's query log (CaptureQueriesContext reads
        # it); psycopg records it only for statements it does not prepare.
        self._query = pgq
        return super()._send_query_prepared(name, pgq, binary=binary)


def prepared_cursor():
    """A cursor for the hot path's statements (use it in a ``with`` block)."""
    db = connections[DEFAULT_DB_ALIAS]  # once: every attribute of the proxy looks it up again
    db.close_if_health_check_failed()
    db.ensure_connection()
    with db.wrap_database_errors:
        return db._prepare_cursor(_PreparedCursor(db.connection))


def from_row(model, fields, values):
    """An instance of ``model`` as read from the database: ``values`` for the attribute names
    ``fields`` (in that order); every other field deferred."""
    given = dict(zip(fields, values, strict=True))
    names = [field.attname for field in model._meta.concrete_fields if field.attname in given]
    if len(names) != len(given):
        raise ValueError(f"not fields of {model.__name__}: {set(given) - set(names)}")
    return model.from_db(connection.alias, names, [given[name] for name in names])


# An area as the hot path reads it (a village, a store's area): enough for ``path`` checks,
# ``is_root`` and its name.
AREA_FIELDS = ("id", "path", "depth", "numchild", "name", "code", "level", "kind")


def area_columns(alias: str) -> str:
    return ", ".join(f"{alias}.{name}" for name in AREA_FIELDS)


def area_from_row(values):
    from registry.models import Area

    return from_row(Area, AREA_FIELDS, values)


def inserted(model, **values):
    """An instance of ``model`` for a row just written in plain SQL with ``values`` (field names;
    a foreign key may be given as its object, which the instance then holds without a query).
    Fields not given hold their defaults. Built with ``Model.from_db``, as if read back."""
    row = {}
    related = {}
    for name, value in values.items():
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        if isinstance(field, ForeignKey) and isinstance(value, Model):  # one-to-one too
            related[name] = value
            value = value.pk
        row[field.attname] = value
    fields = model._meta.concrete_fields
    if set(row) - {field.attname for field in fields}:
        raise ValueError(f"not fields of {model.__name__}: {set(row)}")
    names = [field.attname for field in fields]
    instance = model.from_db(
        connection.alias,
        names,
        [row[field.attname] if field.attname in row else field.get_default() for field in fields],
    )
    for name, value in related.items():
        setattr(instance, name, value)
    return instance
