"""The integration platform as a service: FastAPI on its migrated database
(``python -m integration_platform.api``)."""
