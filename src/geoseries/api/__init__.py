"""HTTP: the FastAPI app, its dialects, error rendering, probes and metrics.

The only package that imports the web framework. Start from `geoseries.api.app.create_app`.
"""
