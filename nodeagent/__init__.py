"""kubelite-nodeagent, the kubelet: registers its Node, renews its Lease, and
drives the pods bound to it to their spec through a runtime."""
