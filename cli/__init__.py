"""The `kubelite` command: kubectl's verbs against a kubelite API server, and
`up`/`down`/`status` for a whole cluster on this machine."""
