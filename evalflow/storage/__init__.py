"""The embedded DuckDB warehouse every asset reads from and writes to."""

from evalflow.storage.warehouse import Warehouse, WarehouseBusyError

__all__ = ["Warehouse", "WarehouseBusyError"]
