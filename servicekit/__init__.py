"""What the three services share: settings, security, errors, middleware, the database
session, the head check and the uvicorn runner.

Each app (``sap_clone.api``, ``servicenow.api``, ``integration_platform.api``) describes
itself with a :class:`servicekit.service.ServiceSpec` and builds its FastAPI app with
:func:`servicekit.service.create_app`. Everything this package needs from netapps, the
migration tool, goes through :mod:`servicekit.migrations` alone.
"""
