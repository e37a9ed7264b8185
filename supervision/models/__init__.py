from .inspections import ChecklistItem, Inspection, ItemResult, Liaison, Round
from .workorders import AreaOrderCount, Category, Team, WorkOrder, WorkOrderEvent, WorkOrderPhoto

__all__ = [
    "AreaOrderCount",
    "Category",
    "ChecklistItem",
    "Inspection",
    "ItemResult",
    "Liaison",
    "Round",
    "Team",
    "WorkOrder",
    "WorkOrderEvent",
    "WorkOrderPhoto",
]
