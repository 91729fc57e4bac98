"""Tests of the stand-in SmartISP server and the sandbox payment gateway."""
