"""Phone pages of upkeep: the register, stickers, due list, check rounds (toilets); service orders (orders)."""
