"""The Kubernetes REST API over HTTPS (aiohttp): routes, discovery, OpenAPI,
Tables, watch framing and protobuf request bodies, each a thin translation
between HTTP and the transport-neutral handlers (apiserver/handlers.py)."""
