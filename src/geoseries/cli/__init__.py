"""The `geoseries` command line: serve, migrate, administration, import and export."""
