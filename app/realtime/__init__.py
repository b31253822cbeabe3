"""Events to sockets (the broker), a socket as the server sees it (``Peer``), and the
dispatch of socket requests: the building blocks of the live side, with no domain rule."""
