"""The bundled demo sample: a few river gauges with a week of water levels and flows."""
