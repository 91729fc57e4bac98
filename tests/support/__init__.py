"""Tests of the support pages: tickets list, conversation, new ticket, reply, resolve."""
