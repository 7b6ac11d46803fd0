"""SDK test fixtures live in tests/conftest.py (``fast``, ``interrupt_after_value_append`` and the
autouse check that no run outlives its test), shared with the media, capture and conformance tests."""
