"""Carer self-service (issue 7): "Tell us you are a carer" and "Check your support".

Its own package inside the registry, shaped like a service: ``domain/`` (sign-in rules,
plain words), ``adapters/`` (its tables), ``service_layer/`` (use cases, and the bookkeeping
that follows the registry's handlers), ``entrypoints/`` (the pages) and ``bootstrap.py``
(what the registry's composition root plugs in: the pages and the after handlers).
It depends on the registry (its unit of work, carer records, matching keys); the registry
knows it only through ``bootstrap.py``. No module imports one that imports it back
(``tests/unit/registry/test_import_cycles.py``).
"""
