"""The service's routes: OAuth, the REST API under /services/data, the admin routes."""
