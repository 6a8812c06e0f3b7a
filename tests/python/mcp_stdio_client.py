"""Drive `yoi mcp` over stdio with the official Python MCP client.

Config (JSON, argv[1]): command, args, env, cwd, mode (`legacy` | `modern`),
oversized_len (characters of text in the oversized call), cancel_after
(seconds before the client gives up on `spin`).
"""

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from mcp_common import Progress, config, dump, emit, open_session


async def main() -> None:
    cfg = config()
    params = StdioServerParameters(command=cfg["command"], args=cfg["args"], env=cfg["env"], cwd=cfg["cwd"])
    stream_errors: list[str] = []

    async def on_message(message: object) -> None:
        # Anything on stdout that is not a JSON-RPC message arrives here.
        if isinstance(message, Exception):
            stream_errors.append(repr(message))

    out: dict = {}
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, message_handler=on_message) as session:
            out["session"] = await open_session(session, cfg["mode"])
            listed = await session.list_tools()
            out["tools"] = [dump(t) for t in listed.tools]

            progress = Progress()
            out["echo"] = dump(await session.call_tool("echo", {"text": "hello"}, progress_callback=progress))
            out["echo_progress"] = progress.events
            out["invalid"] = dump(await session.call_tool("echo", {"text": 5}))
            out["unknown"] = dump(await session.call_tool("no_such_tool", {}))
            out["denied"] = dump(await session.call_tool("read_passwd", {}))
            out["oversized"] = dump(await session.call_tool("echo", {"text": "x" * cfg["oversized_len"]}))

            results: dict[int, dict] = {}

            async def one(i: int) -> None:
                results[i] = dump(await session.call_tool("echo", {"text": f"concurrent-{i}"}))

            async with anyio.create_task_group() as tg:
                for i in range(20):
                    tg.start_soon(one, i)
            out["concurrent"] = [results[i] for i in range(20)]

            # Give up on a call that never ends: the client sends
            # notifications/cancelled, and the server must keep serving.
            with anyio.move_on_after(cfg["cancel_after"]) as scope:
                await session.call_tool("spin", {})
            out["spin_cancelled"] = scope.cancelled_caught
            out["after_cancel"] = dump(await session.call_tool("echo", {"text": "still serving"}))
            out["flood"] = dump(await session.call_tool("print_flood", {}))
            out["tools_again"] = [dump(t) for t in (await session.list_tools()).tools]
    out["stream_errors"] = stream_errors
    emit(out)


if __name__ == "__main__":
    anyio.run(main)
