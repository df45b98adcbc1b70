"""The WSGI entry point for production servers: ``waitress-serve foia.wsgi:app`` or
``gunicorn foia.wsgi:app``.

The instance folder comes from ``FOIA_INSTANCE``. Web workers never run the reminder dispatcher;
run ``foia scheduler`` as its own process next to them.
"""
from .web.app import create_app

app = create_app()
