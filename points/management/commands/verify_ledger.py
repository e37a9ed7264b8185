from django.core.management.base import BaseCommand

from points.services.checks import ledger_check_run


class Command(BaseCommand):
    help = "Verify the points ledger: hash chains, cached balances, balanced transactions."

    def handle(self, *args, **options):
        check = ledger_check_run()
        self.stdout.write(
            f"{check.accounts_checked} household accounts, "
            f"{check.transactions_checked} transactions checked"
        )
        if check.is_clean:
            self.stdout.write(self.style.SUCCESS("The ledger is intact."))
            return
        for problem in check.problems:
            self.stdout.write(self.style.ERROR(str(problem)))
        raise SystemExit(1)
