"""The HTTP API's routes, one module per part of the API: each parses a request, calls one service and answers.
Above every domain's services, below the runtime (`docs/architecture.md`)."""
