"""The service functions: every write of the Salesforce service goes through them."""
