from webapp.webhooks.routes import endpoints, page  # noqa: F401  (each registers its routes on bp)
