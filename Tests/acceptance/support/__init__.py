"""Helpers for the CouchQueue black-box acceptance suite (server process, HTTP client, raw sockets)."""
