"""The stages of the API server's request pipeline, one module each (see
apiserver/pipeline.py for their order)."""
