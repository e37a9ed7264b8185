from .entries import EnteredFigure, EntryEvent
from .indicators import AreaPlace, Figure, Indicator, Period, RollupRun
from .schemes import RankingEntry, RankingList, Scheme, SchemeItem, Score

__all__ = [
    "AreaPlace",
    "EnteredFigure",
    "EntryEvent",
    "Figure",
    "Indicator",
    "Period",
    "RankingEntry",
    "RankingList",
    "RollupRun",
    "Scheme",
    "SchemeItem",
    "Score",
]
