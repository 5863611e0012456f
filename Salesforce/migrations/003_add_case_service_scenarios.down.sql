-- 003 add case service scenarios: undo. Indexes first (SQLite will not drop an indexed
-- column); DROP COLUMN needs SQLite 3.35 or later.

DROP INDEX ix_cases_requested_date;

DROP INDEX ix_cases_service_type;

ALTER TABLE cases DROP COLUMN scenario_details;

ALTER TABLE cases DROP COLUMN requested_date;

ALTER TABLE cases DROP COLUMN service_type;
