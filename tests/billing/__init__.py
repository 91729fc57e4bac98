"""Tests of billing: dashboard, invoices, payments."""
