"""The compose blueprint's routes, one module per page family."""
from webapp.compose.routes import templates, tracking_urls  # noqa: F401
from webapp.compose.routes import preflight  # noqa: F401
