"""The embedded DuckDB warehouse every asset reads from and writes to."""

from evalflow.storage.warehouse import Warehouse

__all__ = ["Warehouse"]
