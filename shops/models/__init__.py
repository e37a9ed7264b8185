from .redemptions import Redemption, RedemptionLine, StoreMonth
from .stores import CatalogueItem, CounterDevice, DistrictItem, StockMove, Store

__all__ = [
    "CatalogueItem",
    "CounterDevice",
    "DistrictItem",
    "Redemption",
    "RedemptionLine",
    "StockMove",
    "Store",
    "StoreMonth",
]
