"""The compose blueprint's routes, one module per page family."""
from webapp.compose.routes import preflight, templates, tracking_urls  # noqa: F401
