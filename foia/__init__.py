"""foia: a self-hosted public-records request manager.

Domain logic lives in plain modules (laws, lifecycle, requests, deadlines, letters, documents,
reminders) that never import Flask; importing this package imports nothing else. The web app is
built by :func:`foia.web.app.create_app`, also reachable as ``foia.create_app`` (so that
``flask --app foia`` finds it) without importing Flask until it is asked for.
"""


def __getattr__(name: str):
    # Lazy on purpose, and not to dodge a cycle: `import foia.lifecycle` must not load Flask.
    if name == "create_app":
        from .web.app import create_app

        return create_app
    raise AttributeError(f"module 'foia' has no attribute {name!r}")
