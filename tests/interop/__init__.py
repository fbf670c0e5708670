"""Interoperability suite: real third-party clients against the reference server on loopback."""
