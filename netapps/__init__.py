"""Network-apps' migration orchestrator: plans, applies, checks, backs up and rolls back
the databases of every app in the monorepo."""

__version__ = "0.1.0"
