-- 002 add account email: accounts.email, looked up by address (indexed).

ALTER TABLE accounts ADD COLUMN email VARCHAR(255)
    CONSTRAINT ck_accounts_email CHECK (email LIKE '%_@_%');

CREATE INDEX ix_accounts_email ON accounts (email);
