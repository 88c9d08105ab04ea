"""kubelite-scheduler: watches pending pods and nodes, picks a node with pure
filter/score plugins, and binds through the API server."""
