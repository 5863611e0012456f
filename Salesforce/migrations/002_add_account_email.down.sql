-- 002 add account email: undo. DROP COLUMN needs SQLite 3.35 or later (Python's sqlite3
-- module reports it: python -c "import sqlite3; print(sqlite3.sqlite_version)"); SQLite refuses
-- to drop an indexed column, so the index goes first.

DROP INDEX ix_accounts_email;

ALTER TABLE accounts DROP COLUMN email;
