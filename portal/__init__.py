"""The SmartISP subscriber portal: Django project package."""
