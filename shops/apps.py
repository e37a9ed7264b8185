from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

ADMIN_PERMISSIONS = [
    "shops.add_store",
    "shops.change_store",
    "shops.view_store",
    "shops.add_catalogueitem",
    "shops.change_catalogueitem",
    "shops.view_catalogueitem",
    "shops.view_districtitem",
]
DISTRICT_PERMISSIONS = ["shops.add_districtitem", "shops.change_districtitem"]


class ShopsConfig(AppConfig):
    """美家超市 stores, catalogue, stock, redemptions and settlement."""

    name = "shops"
    verbose_name = _("Points supermarkets")

    def ready(self) -> None:
        # The register's role groups get the shop's admin permissions (synced after migrate).
        from registry.models import RoleAssignment
        from registry.services import ROLE_PERMISSIONS

        role = RoleAssignment.Role
        for name, perms in (
            (role.DISTRICT_ADMIN, ADMIN_PERMISSIONS + DISTRICT_PERMISSIONS),
            (role.TOWN_ADMIN, ADMIN_PERMISSIONS),
        ):
            ROLE_PERMISSIONS[name].extend(
                perm for perm in perms if perm not in ROLE_PERMISSIONS[name]
            )
