"""RQ entry point for CSV imports (queue "imports"); the work is webapp.audience.importer.run_import."""
from webapp.audience import importer


def run_import(import_id):
    return importer.run_import(import_id)
