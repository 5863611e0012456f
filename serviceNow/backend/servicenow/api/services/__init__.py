"""ServiceNow's business rules as functions over a session; the routers only translate HTTP."""
