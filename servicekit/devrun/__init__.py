"""``make run``: every database migrated, then every dev service (``servicekit.devservices``)
served over HTTPS with a local CA, supervised (a service that stops is reported and restarted
with backoff), its secrets kept between runs, one run at a time.

``python -m servicekit.devrun`` runs it; ``... login``, ``... status``, ``... stop NAME`` and
``... start NAME`` are the ``make login`` / ``status`` / ``stop`` / ``start`` targets.
"""
