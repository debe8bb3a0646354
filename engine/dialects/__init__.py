"""Readers for the extension attributes modelers write.

Each dialect reads one namespace (``camunda:``, ``flowable:``, ``citybpm:``)
into the same plain dict of settings; ``engine.node_config`` merges them, so
the engine core never knows which modeler wrote a file.
"""
from engine.dialects import camunda, citybpm, flowable

# Later entries win: our own namespace overrides what the modelers wrote.
DIALECTS = (camunda, flowable, citybpm)
