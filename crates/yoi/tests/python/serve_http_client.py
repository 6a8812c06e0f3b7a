"""Drive `yoi serve`'s MCP endpoint with the official Python client.

Config (JSON, argv[1]): url, token (bearer token or null), mode (`legacy` |
`modern`), text (what to echo). The workspace has the `echo` plugin enabled.
Imports the shared helpers of the repository's `tests/python` (the Rust test
puts it on PYTHONPATH).
"""

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from mcp_common import Progress, config, dump, emit, open_session


async def main() -> None:
    cfg = config()
    headers = {"Authorization": f"Bearer {cfg['token']}"} if cfg["token"] else {}
    out: dict = {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=60.0)) as http:
        async with streamable_http_client(cfg["url"], http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                out["session"] = await open_session(session, cfg["mode"])
                out["tools"] = [dump(t) for t in (await session.list_tools()).tools]
                progress = Progress()
                out["echo"] = dump(await session.call_tool("echo", {"text": cfg["text"]}, progress_callback=progress))
                out["echo_progress"] = progress.events
                out["invalid"] = dump(await session.call_tool("echo", {"txet": "typo"}))
    emit(out)


if __name__ == "__main__":
    anyio.run(main)
