"""What the apps import at run time: shared column types (appdb.types), helpers for migration
files (appdb.ops) and the engine factory (appdb.engine).

Kept apart from ``netapps``, the migration orchestrator, so that the services built on these
models depend on their database layer only, never on the tool that migrates it.
"""
