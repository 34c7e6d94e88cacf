"""HTTP front door: routers, dependencies, error mapping and middleware."""
