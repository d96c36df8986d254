"""HTTP transport for GraphQL at ``{PU_APP_PREFIX}/graphql``.

POST JSON ``{query, variables, operationName}``; GET ``?query=`` for queries;
a browser GET gets GraphiQL. Errors come back with HTTP 200 in ``errors``;
service errors keep their ``"<status>: <code>: ..."`` text, anything unexpected
is logged and shown as a generic 500 message.
"""
from __future__ import annotations

import json
import logging
import time
from functools import lru_cache

from flask import Blueprint, Response, jsonify, request
from graphql import GraphQLError, OperationType, execute, get_operation_ast, parse, validate

from .. import json_input, outages
from ..errors import InternalError, PepeunitError
from ..extensions import db
from ..observability import prometheus_metrics as figures
from . import limits
from .schema import schema

log = logging.getLogger(__name__)
blp = Blueprint("graphql", __name__)

GRAPHIQL_HTML = """<!doctype html>
<html><head><title>Pepeunit GraphiQL</title>
<link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css"/></head>
<body style="margin:0"><div id="graphiql" style="height:100vh"></div>
<script src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
<script src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
<script src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
<script>
const fetcher = GraphiQL.createFetcher({url: window.location.pathname,
  headers: {"x-auth-token": localStorage.getItem("x-auth-token") || ""}});
ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, {fetcher}));
</script></body></html>"""


def _error(message: str, status: int = 400):
    return jsonify(errors=[{"message": message}]), status


def _format_error(error: GraphQLError) -> dict:
    original = error.original_error
    out = error.formatted
    dependency = outages.dependency_of(original)
    if dependency:  # PostgreSQL or Redis down: the 503 message, logged once per outage by the tracker
        out["message"] = outages.unavailable(dependency).message
    elif original is not None and not isinstance(original, (PepeunitError, GraphQLError)):
        log.error("unhandled error in resolver %s", error.path, exc_info=original)
        out["message"] = InternalError().message
    return out


class _Refused(Exception):
    def __init__(self, errors: list[dict]):
        super().__init__()
        self.errors = errors


@lru_cache(maxsize=512)
def _accepted_document(query: str):
    """Parse and validate once per distinct query text (clients repeat the same documents).

    A refused document raises, and ``lru_cache`` keeps nothing for a call that raised:
    only accepted documents stay in the cache.
    """
    try:
        document = parse(query)
    except GraphQLError as exc:
        raise _Refused([exc.formatted]) from None
    errors = limits.check(document) or limits.check_strings(document) or validate(schema.graphql_schema, document)
    if errors:
        raise _Refused([e.formatted for e in errors])
    return document


def _prepare(query: str):
    """(document, errors): refused by size before parsing, else parsed and validated."""
    errors = limits.check_size(query)
    if errors:
        return None, [e.formatted for e in errors]
    try:
        return _accepted_document(query), []
    except _Refused as refused:
        return None, refused.errors


def _place_file(operations: dict, path: str, file) -> bool:
    """Put ``file`` at a dotted ``path`` such as ``variables.file`` or ``variables.files.0``."""
    target, keys = operations, path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target.get(key)
        if not isinstance(target, (dict, list)):
            return False
    last = keys[-1]
    if isinstance(target, list):
        target[int(last)] = file
    else:
        target[last] = file
    return True


def _read_multipart():
    """GraphQL multipart request spec: ``operations`` JSON, ``map`` JSON, one part per file."""
    try:
        operations = json_input.loads(request.form.get("operations", ""), "Multipart field 'operations'")
        mapping = json_input.loads(request.form.get("map", "{}"), "Multipart field 'map'")
    except json.JSONDecodeError:
        return None, "Multipart fields 'operations' and 'map' must be JSON."
    if not isinstance(operations, dict) or not isinstance(mapping, dict):
        return None, "Multipart 'operations' must be one operation object and 'map' an object."
    for key, paths in mapping.items():
        file = request.files.get(key)
        if file is None or not isinstance(paths, list):
            return None, f"Multipart file part '{key}' is missing."
        for path in paths:
            try:
                placed = isinstance(path, str) and _place_file(operations, path, file)
            except (ValueError, IndexError, TypeError):
                placed = False
            if not placed:
                return None, f"Multipart map path '{path}' does not fit the operations."
    return operations, None


def _read_request():
    if request.method == "POST" and request.mimetype == "multipart/form-data":
        return _read_multipart()
    if request.method == "GET":
        variables = request.args.get("variables")
        try:
            variables = json_input.loads(variables, "Variables") if variables else None
        except json.JSONDecodeError:
            return None, "Variables are invalid JSON."
        return {"query": request.args.get("query"), "variables": variables,
                "operationName": request.args.get("operationName")}, None
    try:
        body = json_input.loads(request.get_data(cache=True)) if request.is_json else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return None, "POST body must be a JSON object {query, variables, operationName}."
    return body, None


@blp.route("", methods=["GET", "POST"])
def graphql_endpoint():
    if request.method == "GET" and "query" not in request.args:
        return Response(GRAPHIQL_HTML, mimetype="text/html")
    try:
        payload, problem = _read_request()
        if problem:
            return _error(problem)
        query, variables = payload.get("query"), payload.get("variables")
        operation_name = payload.get("operationName")
        if not isinstance(query, str) or not query.strip():
            return _error("Must provide query string.")
        if variables is not None and not isinstance(variables, dict):
            return _error("Variables must be a JSON object.")
    except PepeunitError as exc:  # JSON too deep or with too-long integers: not a GraphQL request at all
        return _error(exc.message, exc.status)
    try:  # a value PostgreSQL cannot store: refused like an invalid argument, before anything runs
        json_input.refuse_nul(variables, "variables")
        json_input.refuse_nul(operation_name, "operationName")
    except PepeunitError as exc:
        return _error(exc.message, 200)
    document, errors = _prepare(query)
    if errors:
        figures.GRAPHQL_OPERATIONS.labels("invalid", "error").inc()
        return jsonify(errors=errors), 200
    operation = get_operation_ast(document, operation_name)
    operation_type = operation.operation.value if operation is not None else "invalid"
    if request.method == "GET" and operation is not None and operation.operation is not OperationType.QUERY:
        figures.GRAPHQL_OPERATIONS.labels(operation_type, "error").inc()
        return _error("Can only perform a query operation from a GET request.", 405)
    context = {"token": request.headers.get("x-auth-token")}
    started = time.perf_counter()
    result = execute(
        schema.graphql_schema, document, context_value=context,
        variable_values=variables, operation_name=operation_name,
    )
    figures.GRAPHQL_LATENCY.labels(operation_type).observe(time.perf_counter() - started)
    figures.GRAPHQL_OPERATIONS.labels(operation_type, "error" if result.errors else "ok").inc()
    body = {"data": result.data}
    if not result.errors:
        return jsonify(body)
    body["errors"] = [_format_error(e) for e in result.errors]
    dependencies = {outages.dependency_of(e.original_error) for e in result.errors} - {None}
    if not dependencies:
        db.session.rollback()
        return jsonify(body)
    for dependency in sorted(dependencies):  # a dependency is down: 503 with Retry-After, as on REST
        outages.refused(dependency)
    return outages.with_retry_after(jsonify(body))
