-- 005 add record audit fields: undo. Drops the columns 005 added; records in the recycle
-- bin (is_deleted true) then show as live again, and who wrote each record is lost.

ALTER TABLE cases DROP COLUMN last_modified_by_id;
ALTER TABLE cases DROP COLUMN created_by_id;
ALTER TABLE cases DROP COLUMN is_deleted;

ALTER TABLE contacts DROP COLUMN last_modified_by_id;
ALTER TABLE contacts DROP COLUMN created_by_id;
ALTER TABLE contacts DROP COLUMN is_deleted;

ALTER TABLE accounts DROP COLUMN external_id;
ALTER TABLE accounts DROP COLUMN last_modified_by_id;
ALTER TABLE accounts DROP COLUMN created_by_id;
ALTER TABLE accounts DROP COLUMN is_deleted;
