"""An operation's result as the HTTP answer."""

from __future__ import annotations

from fastapi.responses import JSONResponse, Response

from salesforce_crm.api.ops import Result


def answer(result: Result) -> Response:
    if result.status == 204:
        return Response(status_code=204, headers=result.headers)
    return JSONResponse(result.body, status_code=result.status, headers=result.headers)
