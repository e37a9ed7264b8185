from .cards import CardPrintJob
from .redemptions import Redemption, RedemptionLine, StoreMonth
from .stores import CatalogueItem, CounterDevice, DistrictItem, StockMove, Store

__all__ = [
    "CardPrintJob",
    "CatalogueItem",
    "CounterDevice",
    "DistrictItem",
    "Redemption",
    "RedemptionLine",
    "StockMove",
    "Store",
    "StoreMonth",
]
