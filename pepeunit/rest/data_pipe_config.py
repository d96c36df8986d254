"""REST door for a node's DataPipe config, under ``/pepeunit/api/v1/unit_nodes`` like v1.2."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import fields

from ..models import DataPipeStage
from ..services.datapipe import configs
from .arguments import Blueprint
from .common import BaseSchema, current_agent, enum_field, uuid_and_file

blp = Blueprint("data_pipe_config", __name__, url_prefix="/unit_nodes", description="Unit nodes: DataPipe config")

_YAML_FILE = {"200": {"description": "the config as YAML",
                      "content": {"text/plain": {"schema": {"type": "string"}}}}}


class ConfigUpload(BaseSchema):
    data = Upload(required=True)


class DataPipeValidationError(BaseSchema):
    stage = enum_field(DataPipeStage, required=True)
    message = fields.String(required=True)


@blp.route("/check_data_pipe_config")
class CheckConfig(MethodView):
    @blp.arguments(ConfigUpload, location="files")
    @blp.response(200, DataPipeValidationError(many=True))
    def post(self, files):
        """List the problems of a YAML config (multipart field ``data``); ``[]`` when it is valid."""
        return configs.check(current_agent(), files["data"])


@blp.route("/set_data_pipe_config")
class SetConfig(MethodView):
    @uuid_and_file(blp, ConfigUpload)
    def post(self, args, files):
        """Store a valid YAML config (multipart field ``data``) on your node's active pipe."""
        configs.set_config(current_agent(), args["uuid"], files["data"])


@blp.route("/get_data_pipe_config/<uuid:uuid>")
class GetConfig(MethodView):
    @blp.response(200)
    @blp.doc(responses=_YAML_FILE)
    def get(self, uuid):
        """The node's config as a YAML file (a node you may see, with an active and filled pipe)."""
        text = configs.get_config(current_agent(), uuid)
        return Response(text, mimetype="text/plain",
                        headers={"Content-Disposition": f"attachment; filename=data_pipe_yml_{uuid}"})
