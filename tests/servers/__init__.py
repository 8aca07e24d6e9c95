"""Servers on loopback that behave like the real remote sources, for tests that go over real sockets."""
