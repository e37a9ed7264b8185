from .inspections import ChecklistItem, Inspection, ItemResult, Liaison, Round
from .tallies import Measure, TallyCampaign, TallyLine, TallyReport, TallyTarget
from .workorders import AreaOrderCount, Category, Team, WorkOrder, WorkOrderEvent, WorkOrderPhoto

__all__ = [
    "AreaOrderCount",
    "Category",
    "ChecklistItem",
    "Inspection",
    "ItemResult",
    "Liaison",
    "Measure",
    "Round",
    "TallyCampaign",
    "TallyLine",
    "TallyReport",
    "TallyTarget",
    "Team",
    "WorkOrder",
    "WorkOrderEvent",
    "WorkOrderPhoto",
]
