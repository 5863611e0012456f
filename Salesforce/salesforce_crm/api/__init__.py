"""The Salesforce service: Salesforce's REST API (OAuth token, sObjects, query, composite)
over the app's migrated database, on port 4799."""
