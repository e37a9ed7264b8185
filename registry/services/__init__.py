"""Writes of the register (households, members, roles, accounts) and household codes."""
