"""The satellite-evidence explorer's library: data model, loading, filters, maps, exports."""

__version__ = "0.1.0"
