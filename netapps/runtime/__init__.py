"""What runs inside Alembic: the implementation of every app's env.py (``env``) and Alembic's
DDL implementations taught a wide version table and, on SQLite, to map schemas away
(``impls``)."""
