"""Stand-in SmartISP server and sandbox payment gateway, for `make demo` and end-to-end tests."""
