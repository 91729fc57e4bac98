"""Bank transfers and deposits: the subscriber reports one, staff verify it, settlement
records it."""
