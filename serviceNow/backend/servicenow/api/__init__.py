"""ServiceNow as a service: FastAPI on the migrated service-desk database
(``python -m servicenow.api``)."""
