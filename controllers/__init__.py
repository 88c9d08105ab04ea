"""kubelite-controller-manager: background controllers (node lifecycle today)."""
