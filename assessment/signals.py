"""Events of the assessment platform for the apps above it (campaigns listens)."""

from django.dispatch import Signal

# Sent after the commit that approved a month's red and black list (kwargs: ranking_list).
ranking_list_approved = Signal()
