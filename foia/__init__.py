"""foia: a self-hosted public-records request manager.

``create_app(config=None)`` builds the web application: configuration, database, blueprints,
scheduler and CLI. Domain logic lives in plain modules (laws, lifecycle, requests, deadlines,
letters, documents, reminders) that never import Flask.
"""
from pathlib import Path

from flask import Flask

from . import config as config_module

HERE = Path(__file__).resolve().parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides everything else (tests pass their own instance path)."""
    config = dict(config or {})
    instance = Path(config.pop("INSTANCE_PATH", None) or config_module.instance_path()).resolve()
    app = Flask(
        __name__,
        instance_path=str(instance),
        template_folder=str(HERE.parent / "templates"),
        static_folder=str(HERE / "static"),
    )
    app.config.from_mapping(config_module.load(instance, config))

    from .web import init_app as init_web

    init_web(app)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if app.config.get("SCHEDULER"):
        from . import scheduler

        scheduler.start_background(dict(app.config))
    return app
