from .accounts import RoleAssignment, User
from .areas import Area
from .codes import PhoneCode
from .households import Household, HouseholdEvent, Member
from .imports import ExportRecord, HouseholdImport

__all__ = [
    "Area",
    "ExportRecord",
    "Household",
    "HouseholdEvent",
    "HouseholdImport",
    "Member",
    "PhoneCode",
    "RoleAssignment",
    "User",
]
