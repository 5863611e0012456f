"""SAP_clone as a service: FastAPI on the migrated SAP database (``python -m sap_clone.api``)."""
