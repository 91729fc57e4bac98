"""Template filters of the billing pages."""
