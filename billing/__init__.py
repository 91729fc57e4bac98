"""Dashboard, invoices and online payments: the ledger, gateways, webhooks and settlement."""
