-- 003 add case service scenarios: what service a case asks for, for when, and its details.

ALTER TABLE cases ADD COLUMN service_type VARCHAR(40)
    CONSTRAINT ck_cases_service_type CHECK (service_type IN (
        'installation', 'maintenance', 'repair', 'inspection', 'upgrade',
        'decommissioning', 'consultation'
    ));

ALTER TABLE cases ADD COLUMN requested_date DATE;

ALTER TABLE cases ADD COLUMN scenario_details TEXT;

CREATE INDEX ix_cases_service_type ON cases (service_type);

CREATE INDEX ix_cases_requested_date ON cases (requested_date);
