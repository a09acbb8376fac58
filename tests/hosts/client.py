"""Run on the client host (`python tests/hosts/client.py < requests.json`): sends the requests
in order over one keep-alive connection and prints, as JSON, each answer's status, body and
seconds. Input: {"base": "http://10.77.0.11:8000", "token": "...", "requests": [{"method":
"POST", "path": "/api/v1/...", "body": {...}}, ...]}. A request that gets no answer within
`timeout` seconds (default 30) is reported with status 0."""

from __future__ import annotations

import http.client
import json
import sys
import time
from urllib.parse import urlsplit


def main() -> None:
    order = json.load(sys.stdin)
    base = urlsplit(order["base"])
    timeout = float(order.get("timeout", 30))
    headers = {"Authorization": f"Token {order['token']}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection(base.hostname, base.port, timeout=timeout)
    answers = []
    for request in order["requests"]:
        started = time.monotonic()
        body = json.dumps(request["body"]) if "body" in request else None
        try:
            connection.request(request["method"], request["path"], body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            status = response.status
        except OSError as error:
            connection.close()
            connection = http.client.HTTPConnection(base.hostname, base.port, timeout=timeout)
            raw, status = str(error).encode(), 0
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")[:500]
        answers.append({"status": status, "body": parsed, "seconds": round(time.monotonic() - started, 3)})
    print(json.dumps(answers))


if __name__ == "__main__":
    main()
