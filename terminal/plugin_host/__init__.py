"""Plugin discovery, manifests, registry and the connector contracts plugins implement."""
