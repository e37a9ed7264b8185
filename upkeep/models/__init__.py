from .checks import CheckRound, ToiletCheck
from .teams import ContractorTeam
from .toilets import Toilet, ToiletImport

__all__ = ["CheckRound", "ContractorTeam", "Toilet", "ToiletCheck", "ToiletImport"]
