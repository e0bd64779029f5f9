"""The demo: a small Django project that sends emails through the outbox.

`./scripts/demo` runs `python -m demo` (see demo/__main__.py).
"""
