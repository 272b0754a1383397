"""The module-level WSGI application for gunicorn (`gunicorn wsgi:server`); settings come from the environment."""

from app import create_app

server = create_app()
