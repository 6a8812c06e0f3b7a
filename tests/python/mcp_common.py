"""Shared helpers for the MCP interoperability scripts.

Each script drives a yoi MCP server with the official Python `mcp` package
(an independent client), prints one JSON object to stdout with what it saw,
and leaves the assertions to the Rust test that ran it.
"""

import json
import sys
from typing import Any

from mcp import ClientSession


def dump(result: Any) -> dict[str, Any]:
    """A result as its wire JSON (camelCase, no unset fields)."""
    return result.model_dump(by_alias=True, exclude_none=True, mode="json")


async def open_session(session: ClientSession, mode: str) -> dict[str, Any]:
    """Negotiate the protocol: `legacy` is the initialize handshake (newest
    handshake revision), `modern` is `server/discover` and the per-request
    envelope of the newest revision."""
    if mode == "legacy":
        result = await session.initialize()
        return {
            "protocol_version": result.protocol_version,
            "server_name": result.server_info.name,
            "capabilities": result.capabilities.model_dump(by_alias=True, exclude_none=True, mode="json"),
        }
    if mode == "modern":
        result = await session.discover()
        return {
            "protocol_version": session.protocol_version,
            "supported_versions": list(result.supported_versions),
        }
    raise SystemExit(f"unknown mode {mode!r}")


class Progress:
    """Collects the progress notifications of one request."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.events.append({"progress": progress, "total": total, "message": message})


def config() -> dict[str, Any]:
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} CONFIG_JSON")
    return json.loads(sys.argv[1])


def emit(out: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
