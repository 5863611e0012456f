"""The integration platform's rules as functions over a session."""
