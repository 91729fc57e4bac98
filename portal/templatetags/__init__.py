"""Template tags every page may use (the base layout's contact links, breakable addresses)."""
