"""What runs inside Alembic: the one implementation behind every app's ``alembic/env.py``
(``env``) and Alembic's SQLite implementation taught to map schemas away (``sqlite_impl``)."""
