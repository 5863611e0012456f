"""SAP_clone's business rules as functions over a session; the routers only translate HTTP."""
