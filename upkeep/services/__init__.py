"""Writes of upkeep: the toilet register, teams and check rounds (toilets); service orders (orders)."""
