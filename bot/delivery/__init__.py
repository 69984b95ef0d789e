"""Delivery: the outbox worker and one sender per kind of destination."""
