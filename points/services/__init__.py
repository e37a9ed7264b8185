from .ledger import (
    Leg,
    Source,
    points_adjust,
    points_award,
    points_expire,
    points_reverse,
    points_spend,
    points_void,
)

__all__ = [
    "Leg",
    "Source",
    "points_adjust",
    "points_award",
    "points_expire",
    "points_reverse",
    "points_spend",
    "points_void",
]
