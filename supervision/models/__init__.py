from .workorders import Category, Team, WorkOrder, WorkOrderEvent, WorkOrderPhoto

__all__ = ["Category", "Team", "WorkOrder", "WorkOrderEvent", "WorkOrderPhoto"]
