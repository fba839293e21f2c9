"""Error responses: every failure leaves the server as an ``ApiError`` body, never a traceback."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from orcha_ml.schemas import ApiError, FieldError

log = logging.getLogger(__name__)


class ApiException(Exception):
    """Raised by routes to answer with a given status and ``ApiError`` body."""

    def __init__(
        self, status_code: int, code: str, message: str, errors: list[FieldError] | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = ApiError(code=code, message=message, errors=errors or [])

    @classmethod
    def field_error(cls, field: str, message: str) -> ApiException:
        text = message if message.startswith(field) else f"{field}: {message}"
        return cls(
            422, "validation_error", text, [FieldError(field=field, message=text, type="value")]
        )


def field_path(loc: Sequence[Any]) -> str:
    """Turn pydantic's ``("body", "series", 0, "timestamps")`` into ``series[0].timestamps``."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


_PATH_PREFIX = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*(?:\.[A-Za-z0-9_:-]+(?:\[\d+\])*)*): "
)


def _clean(message: str) -> str:
    # Pydantic prefixes messages of custom validators with "Value error, ", which is noise here.
    return message.removeprefix("Value error, ")


def _locate(field: str, message: str) -> tuple[str, str]:
    """Move a ``name: ...`` prefix of a model-level message into the field path.

    Model validators (cross-field checks) can only report at the model's own location; they
    start their message with the sub-field they mean, and this makes that the reported field.
    """
    match = _PATH_PREFIX.match(message)
    if not match:
        return field, message
    sub = match.group(1)
    head = re.match(r"[A-Za-z_][A-Za-z0-9_]*", sub)
    last = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", field)
    if field == "body":
        joined = sub
    elif head and last and head.group(0) == last[-1]:
        # A field validator already sits at that field: "timestamps[3]" refines "...timestamps".
        joined = field + sub[head.end() :]
    else:
        joined = f"{field}.{sub}"
    return joined, message[match.end() :]


def validation_body(exc: RequestValidationError) -> ApiError:
    errors: list[FieldError] = []
    for err in exc.errors():
        field, message = _locate(
            field_path(err.get("loc", ())), _clean(str(err.get("msg", "invalid")))
        )
        errors.append(FieldError(field=field, message=message, type=str(err.get("type", "value"))))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        message = f"{first.field}: {first.message}{more}"
    else:
        message = "invalid request"
    return ApiError(code="validation_error", message=message, errors=errors)


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the ``ApiError`` shape."""

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return JSONResponse(status_code=422, content=validation_body(exc).model_dump())

    async def on_api(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiException)
        return JSONResponse(status_code=exc.status_code, content=exc.body.model_dump())

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:
            # FastAPI answers 400 for a body it cannot decode (not UTF-8, wrong form); to the
            # client that is bad input like any other, so it gets the documented 422.
            detail = f"body: {exc.detail}"
            body = ApiError(
                code="validation_error",
                message=detail,
                errors=[FieldError(field="body", message=str(exc.detail), type="body_decode")],
            )
            return JSONResponse(status_code=422, content=body.model_dump())
        body = ApiError(code=f"http_{exc.status_code}", message=str(exc.detail), errors=[])
        return JSONResponse(
            status_code=exc.status_code, content=body.model_dump(), headers=exc.headers
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Last resort: log the trace for us, give the client a stable body without internals.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = ApiError(
            code="internal_error", message=f"internal error ({type(exc).__name__})", errors=[]
        )
        return JSONResponse(status_code=500, content=body.model_dump())

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(ApiException, on_api)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
