"""HOCOVISIO: the Quart application. ``app.server.create_app`` builds it; the README's
"Code map" says which folder owns what and which may import which."""
