"""Vendor adapters: translate what third-party devices send into the event contract."""
