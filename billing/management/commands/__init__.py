"""`db_worker` (the task worker, with the payments reconciler) and `payments_reconcile`."""
