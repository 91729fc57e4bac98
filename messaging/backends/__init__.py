"""One module per provider; each backend has `send_code` and `send_notice` and returns `Sent`."""
