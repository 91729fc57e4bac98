"""Template filters of the support pages."""
