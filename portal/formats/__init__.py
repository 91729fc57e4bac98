"""The portal's own date formats, one style per language (FORMAT_MODULE_PATH in settings).

Everything else (decimal separators, input formats) falls back to Django's locale files."""
