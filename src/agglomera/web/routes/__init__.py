"""API routers, one module per resource; pages in :mod:`agglomera.web.routes.pages`."""
