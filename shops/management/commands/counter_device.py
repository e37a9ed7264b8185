"""``manage.py counter_device --store ID --user NAME --name "收银台"``: print a new device token."""

from django.core.management.base import BaseCommand, CommandError

from registry.models import User
from shops.exceptions import ShopError
from shops.models import Store
from shops.services.devices import counter_device_create


class Command(BaseCommand):
    help = "Create a counter device token for the JSON API (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--store", type=int, required=True)
        parser.add_argument("--user", required=True, help="the shopkeeper's user name")
        parser.add_argument("--name", default="counter")

    def handle(self, *args, store, user, name, **options):
        try:
            found_store = Store.objects.get(pk=store)
            found_user = User.objects.get(username=user)
            _device, token = counter_device_create(store=found_store, user=found_user, name=name)
        except (Store.DoesNotExist, User.DoesNotExist) as error:
            raise CommandError(str(error)) from error
        except ShopError as refused:
            raise CommandError(refused.message) from refused
        self.stdout.write(token)
