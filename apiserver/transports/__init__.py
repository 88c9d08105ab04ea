"""The API server's two thin transports over the same handlers: gRPC
(`grpc.py`, the kubelite.v1.Api service) and the Kubernetes REST API over
HTTPS (`rest/`, what real kubectl and client libraries speak)."""
