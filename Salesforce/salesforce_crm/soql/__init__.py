"""SOQL, the subset this service answers: parsed with lark, compiled to SQLAlchemy Core
(bound parameters only), paged through query locators.

The interface the REST layer uses:

- :func:`run_query` — ``query`` / ``queryAll`` (``include_deleted``): the first page.
- :func:`query_more` — the page behind a ``nextRecordsUrl``.
- :func:`parse` — the AST of a query (tests, error descriptions).
- :class:`SoqlError` — every refusal, with Salesforce's ``error_code`` and ``message``.

The catalog of objects is passed in; this package never imports the service's.
"""

from salesforce_crm.soql.ast import Query
from salesforce_crm.soql.errors import SoqlError
from salesforce_crm.soql.paging import query_more, run_query
from salesforce_crm.soql.parser import parse

__all__ = ["Query", "SoqlError", "parse", "query_more", "run_query"]
