"""A throwaway PostgreSQL database for a benchmark: made at the start, dropped at the end.

Every bench that measures PostgreSQL imports these instead of keeping its own copy.
"""

import contextlib
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _admin(base_url: str):
    import psycopg

    return psycopg.connect(base_url, autocommit=True)


def create_database(base_url: str, name: str) -> str:
    """(Re)create database ``name`` on the server of ``base_url``; returns its URL."""
    from psycopg import sql

    drop_database(base_url, name)
    with _admin(base_url) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit(urlsplit(base_url)._replace(path=f"/{name}"))


def drop_database(base_url: str, name: str) -> None:
    """Drop database ``name``, closing this process's Django connections to it first."""
    from psycopg import sql

    if "django" in sys.modules:
        from django.db import connections

        with contextlib.suppress(Exception):  # Django may not be set up; the drop forces it
            connections.close_all()
    with _admin(base_url) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def start_django(url: str) -> None:
    """Set Django up in this process on ``url`` (DEBUG off) and migrate it."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meijia.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
