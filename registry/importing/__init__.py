"""Importing a village register from .xlsx: reading the workbook, planning rows, writing, export."""
