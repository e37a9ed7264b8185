"""Phone pages of points by topic: appraisals and commendations, the approval queue, sorting."""
