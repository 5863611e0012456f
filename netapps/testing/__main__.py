"""``python -m netapps.testing clear [--postgres URL] [--app APP]``: remove the templates (the
SQLite cache folder's and, with ``--postgres``, the server's); ``python -m netapps.testing
where``: print the SQLite cache folder. Exit codes: 0 done, 2 usage, 3 server unreachable."""

from __future__ import annotations

import argparse
import sys

import psycopg
from sqlalchemy.engine import make_url

from netapps.testing.postgres_templates import PostgresTemplates
from netapps.testing.sqlite_templates import CACHE_ENV, SqliteTemplates
from netapps.urls import mask


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netapps.testing")
    sub = parser.add_subparsers(dest="command", required=True)
    clear = sub.add_parser("clear", help="remove the template databases")
    clear.add_argument("--postgres", metavar="URL", help="also the templates on this server")
    clear.add_argument("--app", help="only this app's templates")
    sub.add_parser("where", help=f"print the SQLite templates' folder (${CACHE_ENV})")
    args = parser.parse_args(argv)
    sqlite = SqliteTemplates()
    if args.command == "where":
        print(sqlite.folder)
        return 0
    server = PostgresTemplates(make_url(args.postgres)) if args.postgres else None
    try:
        if server is not None:
            try:  # reached first: nothing is removed when the server cannot be
                server.admin  # noqa: B018
            except psycopg.OperationalError as exc:
                url = server.admin_url
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
                if url.password:
                    first = first.replace(url.password, "***")
                print(f"error: cannot reach {mask(url)}: {first}", file=sys.stderr)
                return 3
        removed = [str(path) for path in sqlite.clear(args.app)]
        if server is not None:
            removed += server.clear(args.app)
    finally:
        if server is not None:
            server.close()
    for name in removed:
        print(f"removed {name}")
    print(f"{len(removed)} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
