-- 004 create query locators: the cursors behind a SOQL result's nextRecordsUrl.
--
-- A query answers its first page and, when more rows match, a locator (an id like
-- 0r8...); GET /services/data/vXX.X/query/{locator}-{offset} answers the next page by running
-- the same query at that offset. A locator belongs to the user who ran the query and expires
-- (Salesforce keeps cursors about 15 minutes of inactivity).

CREATE TABLE query_locators (
    locator VARCHAR(18) NOT NULL,
    soql TEXT NOT NULL,
    include_deleted BOOLEAN DEFAULT FALSE NOT NULL,
    batch_size INTEGER NOT NULL,
    total_size INTEGER NOT NULL,
    owner_id VARCHAR(18) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_query_locators PRIMARY KEY (locator),
    CONSTRAINT ck_query_locators_batch_size CHECK (batch_size BETWEEN 200 AND 2000),
    CONSTRAINT ck_query_locators_total_size CHECK (total_size >= 0)
);

CREATE INDEX ix_query_locators_expires_at ON query_locators (expires_at);
