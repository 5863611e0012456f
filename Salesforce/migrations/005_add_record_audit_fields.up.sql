-- 005 add record audit fields: the recycle bin and who wrote a record, on the three CRM
-- tables the REST API serves (accounts, contacts, cases).
--
-- is_deleted is Salesforce's IsDeleted: a DELETE through the API sets it (the recycle bin),
-- query leaves those rows out and queryAll shows them. created_by_id / last_modified_by_id
-- are CreatedById / LastModifiedById: the users table's id of whoever wrote the row, set by
-- the service. They are not foreign keys: users are deactivated, never deleted, and SQLite's
-- DROP COLUMN (the down file) refuses a column that is in a foreign key.
--
-- accounts.external_id is the External_Id__c field an integration upserts accounts by. It is
-- not unique, as in Salesforce an external id need not be: an upsert matching several
-- records answers 300 with their ids.
--
-- Every new column is NULL or has a constant default: adding it rewrites no row on
-- PostgreSQL 11+ and takes no long lock.

ALTER TABLE accounts ADD COLUMN is_deleted BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE accounts ADD COLUMN created_by_id INTEGER;
ALTER TABLE accounts ADD COLUMN last_modified_by_id INTEGER;
ALTER TABLE accounts ADD COLUMN external_id VARCHAR(255);

ALTER TABLE contacts ADD COLUMN is_deleted BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE contacts ADD COLUMN created_by_id INTEGER;
ALTER TABLE contacts ADD COLUMN last_modified_by_id INTEGER;

ALTER TABLE cases ADD COLUMN is_deleted BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE cases ADD COLUMN created_by_id INTEGER;
ALTER TABLE cases ADD COLUMN last_modified_by_id INTEGER;
