"""The HTTP shell: aiohttp routes, authentication, problem+json errors and OpenAPI."""
