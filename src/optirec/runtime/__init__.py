"""The top of optirec: the app factory, the ASGI entry, the command line and the serving processes' wiring. Nothing
below imports it."""
