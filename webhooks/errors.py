"""One error envelope for the whole HTTP API: RFC 9457 problem details (docs/api.md, "Errors").

Every error answer is `application/problem+json` with `type`, `title`, `status`, `detail` (one plain line: clients
that read `detail` as before keep working) and `code`, a stable machine-readable extension; a 422 for a body or
parameter that does not validate also lists the fields at fault as `errors: [{loc, msg}]` (never the input, which
can hold a credential or a NaN that JSON cannot carry).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from plans.errors import PlanError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "/problems/"  # `type` is `/problems/<code>`: a stable name for the problem, not a page to fetch

# The code of an error raised without one: its status's. Stable: clients may branch on them (docs/api.md).
CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
PROBLEM_REF = "#/components/schemas/Problem"
VALIDATION_FAILED = "validation_failed"  # a 422 whose body or parameters do not match the schema


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="where: `body`, `query`, `path` or `header`, then the field path"
    )
    msg: str


class Problem(BaseModel):
    """An error answer (RFC 9457), served as application/problem+json."""

    type: str = Field(description="`/problems/<code>`: names the problem; not meant to be fetched")
    title: str = Field(description="the HTTP status's phrase")
    status: int
    detail: str = Field(description="one plain line saying what was wrong")
    code: str = Field(description="stable machine-readable code (docs/api.md, Errors)")
    errors: list[FieldError] | None = Field(None, description="422 validation only: the fields at fault")
    offer: dict[str, Any] | None = Field(
        None, description="422 for an unsafe goal only: the safe build offered instead (code, text, facts)"
    )


class ApiError(HTTPException):
    """An HTTPException that names its stable code (default: the status's)."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, detail, headers=dict(headers) if headers else None)
        self.code = code or code_for(status_code)


def code_for(status: int) -> str:
    return CODE_BY_STATUS.get(status, "client_error" if status < 500 else "server_error")


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    code = code or code_for(status)
    # A plain dict (the Problem model documents it): the intake's refusals are answered here too, cheaply.
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": _title(status),
        "status": status,
        "detail": _one_line(detail),
        "code": code,
    }
    if errors is not None:
        body["errors"] = [e.model_dump() for e in errors]
    # extension members never replace a standard one
    body.update({k: v for k, v in (extensions or {}).items() if k not in body})
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON)


# --- handlers ---------------------------------------------------------------------------------------------


async def http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)  # registered for HTTPException only
    detail = error.detail if isinstance(error.detail, str) else _phrase_of(error.status_code)
    return problem(
        error.status_code, detail, code=getattr(error, "code", None), headers=getattr(error, "headers", None)
    )


def _phrase_of(status: int) -> str:
    return _title(status).lower()


async def validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # registered for RequestValidationError only
    errors = [_field_error(e) for e in error.errors()]
    first = errors[0] if errors else FieldError(loc=[], msg="invalid request")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    detail = f"invalid request: {'.'.join(str(part) for part in first.loc)}: {first.msg}{more}"
    return problem(422, detail, code=VALIDATION_FAILED, errors=errors)


def _field_error(raw: Mapping[str, Any]) -> FieldError:
    loc: Sequence[Any] = raw.get("loc", ())
    return FieldError(
        loc=[part if isinstance(part, int) else str(part) for part in loc],
        msg=_one_line(str(raw.get("msg", ""))),
    )


async def plan_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, PlanError)  # registered for PlanError only
    return problem(error.status, error.detail, extensions=error.extensions)


async def internal_error(request: Request, error: Exception) -> JSONResponse:
    # The traceback goes to the log, never to the client.
    log.error("api.internal_error", extra={"path": request.url.path}, exc_info=error)
    return problem(500, "internal error; nothing was changed", code="internal_error")


def install(app: FastAPI) -> None:
    """Every error of `app` answered as a problem, and the spec saying so."""
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(PlanError, plan_error)
    app.add_exception_handler(Exception, internal_error)
    app.openapi = lambda: _openapi_with_problems(app)  # type: ignore[method-assign]


# --- the spec ---------------------------------------------------------------------------------------------


def responses(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status answered with a Problem (served as problem+json, see below)."""
    return {status: {"model": Problem, "description": text} for status, text in descriptions.items()}


# What every route behind the API key can answer (its 422: a body, path or query that does not validate, or a
# request refused before anything was written), and what one under /api/v1/athletes/{athlete_id} adds.
_API_KEY_ROUTE = {401: "missing or wrong API key", 422: "invalid request; nothing changed"}
_ATHLETE_ROUTE = {**_API_KEY_ROUTE, 404: "unknown athlete"}


def api_key_route_errors(more: Mapping[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route behind the API key: 401 and 422, with `more` (a status of its own, or a closer
    description of a shared one)."""
    return responses(_in_status_order({**_API_KEY_ROUTE, **(more or {})}))


def athlete_route_errors(more: Mapping[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """As `api_key_route_errors`, for a route that names an athlete: 404 as well."""
    return responses(_in_status_order({**_ATHLETE_ROUTE, **(more or {})}))


def _in_status_order(descriptions: Mapping[int, str]) -> dict[int, str]:
    # The spec lists the answers in the order given: keep the statuses ascending wherever a router adds one.
    return dict(sorted(descriptions.items()))


ATHLETE_ROUTE_ERRORS = athlete_route_errors()


def _openapi_with_problems(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is not None:
        return app.openapi_schema
    spec = FastAPI.openapi(app)  # builds and caches app.openapi_schema, rewritten here in place
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            _problems_as_problem_json(operation.get("responses", {}))
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    if "Problem" not in schemas:  # no route declared one: the rewritten 422s still refer to it
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem_schema.pop("$defs", {}))
        schemas["Problem"] = problem_schema
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


def _problems_as_problem_json(answers: dict[str, Any]) -> None:
    # FastAPI files every declared model under application/json, its own 422 model is not what is served, and
    # an error declared with a description only has no content: every error is a Problem, as problem+json.
    for status, answer in answers.items():
        if status[:1] not in "45":
            continue
        content = answer.setdefault("content", {})
        ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
        if not content or ref.endswith("/Problem") or ref.endswith("/HTTPValidationError"):
            content.pop("application/json", None)
            content[PROBLEM_JSON] = {"schema": {"$ref": PROBLEM_REF}}
