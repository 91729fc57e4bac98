"""Support tickets kept in SmartISP: list, conversation, new ticket, reply, resolve."""
