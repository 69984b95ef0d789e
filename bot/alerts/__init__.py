"""Alerts: the neutral alert card and its extractive summary, before any platform renders it."""
