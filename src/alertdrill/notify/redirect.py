"""Receiver redirection: every integration of the config under test points at alertdrill's sinks.

Why redirect rather than replace the tree: the drill must test the real routing tree — muting,
inhibition, grouping, `continue` and `send_resolved` as written — only the last hop (email, pager,
Slack) is swapped for a webhook to the recorder at `/receiver/<receiver-name>`.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from alertdrill.config.routing import SEND_RESOLVED_DEFAULT


def redirect_receivers(doc: dict[str, Any], recorder_url: str) -> dict[str, Any]:
    """Replace every integration with a webhook to the recorder, keeping its send_resolved."""
    out = copy.deepcopy(doc)
    for receiver in out.get("receivers") or []:
        name = str(receiver["name"])
        hooks = []
        for key in [k for k in receiver if k.endswith("_configs")]:
            for i, integration in enumerate(receiver.pop(key) or []):
                send_resolved = integration.get("send_resolved", SEND_RESOLVED_DEFAULT.get(key, True))
                kind = key.removesuffix("_configs")
                hooks.append(
                    {
                        "url": f"{recorder_url}/receiver/{quote(name, safe='')}?integration={kind}-{i}",
                        "send_resolved": bool(send_resolved),
                    }
                )
        if hooks:
            receiver["webhook_configs"] = hooks
    return out
