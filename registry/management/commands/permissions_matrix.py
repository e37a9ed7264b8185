"""Write the role matrix of ``registry.permissions`` into docs/permissions.md (or print it)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from registry.permissions import MATRIX_END, MATRIX_START, matrix_markdown


def matrix_replace(text: str) -> str:
    """``text`` with the part between the matrix markers replaced by the current table."""
    start, end = text.find(MATRIX_START), text.find(MATRIX_END)
    if start < 0 or end < start:
        raise CommandError(f"the page has no {MATRIX_START} … {MATRIX_END} markers")
    return text[: start + len(MATRIX_START)] + "\n" + matrix_markdown() + text[end:]


class Command(BaseCommand):
    help = "Regenerate the role matrix in docs/permissions.md from registry/permissions.py."

    def add_arguments(self, parser):
        parser.add_argument("--print", action="store_true", help="print the table only")

    def handle(self, *args, **options):
        if options["print"]:
            self.stdout.write(matrix_markdown(), ending="")
            return
        page = Path(settings.BASE_DIR) / "docs" / "permissions.md"
        page.write_text(matrix_replace(page.read_text(encoding="utf-8")), encoding="utf-8")
        self.stdout.write(f"{page} updated")
