"""The browser fixtures live in `fixtures.py`, loaded once for the whole suite by the root
conftest: a second copy of the session-wide `browser` would start a second Playwright
event loop in the same thread, which Playwright refuses."""
