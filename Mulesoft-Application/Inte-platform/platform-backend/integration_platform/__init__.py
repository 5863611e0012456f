"""Mulesoft integration platform backend."""
