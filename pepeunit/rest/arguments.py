"""How every REST view reads its arguments: flask-smorest's parser with the checks of ``json_input``.

Each resource module takes ``Blueprint`` from here, so a JSON body with too-deep
nesting or a too-long integer answers ``422: 9: JSON Decode Error: ...`` and a
NUL character in any argument (body, query, form) ``422: 2: Validation Error: ...``,
before the view (and so before any side effect) runs.
"""
from __future__ import annotations

import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from .. import json_input

_RAW_LOCATIONS = {"query": "args", "form": "form"}


class ArgumentsParser(FlaskParser):
    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        try:
            text = req.get_data(cache=True).decode("utf-8")
        except UnicodeDecodeError as exc:  # webargs' own answer: 400 "Invalid JSON body."
            return core.parse_json(exc.object)
        return json_input.loads(text)

    def _load_location_data(self, *, schema, req, location):
        data = super()._load_location_data(schema=schema, req=req, location=location)
        if location in _RAW_LOCATIONS:
            for key, value in getattr(req, _RAW_LOCATIONS[location]).items(multi=True):
                json_input.refuse_nul({key: value})
        elif location == "json":
            json_input.refuse_nul(data)
        return data


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ArgumentsParser()
