"""PyFlink jobs that call the core: journeys and embeddings."""
