"""`make bench`: the portal's speed against a slow sandbox SmartISP (docs/benchmarks.md).

`stack` runs a production-shaped deployment on one machine (also used by tests/scale/), `seed`
makes synthetic subscribers, `load` drives the clients, `report` writes the JSON and Markdown.
"""
