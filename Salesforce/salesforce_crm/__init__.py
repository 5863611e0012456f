"""Salesforce CRM integration: its schema is plain SQL migrations in ../migrations."""
