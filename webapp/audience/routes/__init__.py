"""The audience blueprint's routes, one module per page family."""
from webapp.audience.routes import contacts, imports, lists, suppressions  # noqa: F401
