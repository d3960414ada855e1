"""Tests of the Kano features dialect."""
