"""The control layer: services and repositories over the database and the vector store.

Every runtime (the API, the worker, the CLI, the streaming writer) changes and reads state
through this package, so each merge and each state change has exactly one implementation.
It knows no HTTP, Kafka or command line.
"""
