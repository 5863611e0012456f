"""Salesforce's objects (sObjects): their ids, their fields and the tables behind them."""
