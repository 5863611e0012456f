-- 001 create crm tables: undo. Drops the six tables, children before parents; their
-- indexes and constraints go with them. Every row in them is lost.

DROP TABLE activities;
DROP TABLE cases;
DROP TABLE opportunities;
DROP TABLE leads;
DROP TABLE contacts;
DROP TABLE accounts;
