"""Turning files, HTTP batches and MQTT payloads into features and observations."""
