"""The ASGI server: admission webhook, evaluation API, evidence downloads (``compliance serve``)."""

from compliance.server.app import ServerConfig, create_app

__all__ = ["ServerConfig", "create_app"]
