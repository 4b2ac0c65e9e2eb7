"""The baseline of the API benchmark: a bare aiohttp handler that parses JSON and answers 202."""

from __future__ import annotations

import sys

from aiohttp import web


async def accept(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response({"id": "msg_bare", "status": "queued", "n": len(body)}, status=202)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def main() -> None:
    app = web.Application()
    app.router.add_post("/v1/messages", accept)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
