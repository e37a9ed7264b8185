from .checks import CheckRound, ToiletCheck
from .service import ServiceCoverage, ServiceOrder
from .toilets import Toilet, ToiletImport

__all__ = [
    "CheckRound",
    "ServiceCoverage",
    "ServiceOrder",
    "Toilet",
    "ToiletCheck",
    "ToiletImport",
]
