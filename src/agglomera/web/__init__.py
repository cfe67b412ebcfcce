"""Web API and dashboard (``agglomera serve``); needs the ``web`` extra."""

from agglomera.web.main import create_app

__all__ = ["create_app"]
