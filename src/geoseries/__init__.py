"""Geoseries: one server, one data model, several public API dialects for geospatial time series."""

__version__ = "0.1.0"
