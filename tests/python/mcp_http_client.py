"""Drive a yoi MCP Streamable HTTP endpoint with the official Python client.

Config (JSON, argv[1]): url, token (bearer token or null), mode (`legacy` |
`modern`). The endpoint serves only the built-in tools (`yoi_history`).
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
                out["history"] = dump(await session.call_tool("yoi_history", {"limit": 5}, progress_callback=progress))
                out["history_progress"] = progress.events
                out["invalid"] = dump(await session.call_tool("yoi_history", {"limit": 0}))
                out["unknown"] = dump(await session.call_tool("no_such_tool", {}))
                results: dict[int, dict] = {}

                async def one(i: int) -> None:
                    results[i] = dump(await session.call_tool("yoi_history", {"limit": i + 1}))

                async with anyio.create_task_group() as tg:
                    for i in range(10):
                        tg.start_soon(one, i)
                out["concurrent"] = [results[i] for i in range(10)]
    emit(out)


if __name__ == "__main__":
    anyio.run(main)
