"""REST door for a node's DataPipe history: read, CSV export/import, delete (``/pepeunit/api/v1/unit_nodes``)."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import fields

from ..models import AggregationFunctions, ProcessingPolicyType, TypeInputValue
from ..services.datapipe import history as service
from ..services.datapipe import history_csv
from ..services.datapipe.storage import AggregationRow, LastValueRow, NRecordRow, TimeWindowRow
from .arguments import Blueprint
from .common import BaseSchema, current_agent, enum_field, uuid_and_file
from .listing import CountedList, PageArgs, enum_list, list_route, order_field

blp = Blueprint("data_pipe_data", __name__, url_prefix="/unit_nodes", description="DataPipe history of unit nodes")


class StoredValueRead(BaseSchema):
    """What NRecords and TimeWindow rows share (each adds its own fields, then ``size``)."""

    unit_node_uuid = fields.UUID(required=True)
    state = fields.String(required=True)
    state_type = enum_field(TypeInputValue, required=True)
    create_datetime = fields.DateTime(required=True)


class NRecordsRead(StoredValueRead):
    max_count = fields.Integer(required=True)
    size = fields.Integer(required=True)


class TimeWindowRead(StoredValueRead):
    expiration_datetime = fields.DateTime(required=True)
    size = fields.Integer(required=True)


class AggregationRead(BaseSchema):
    unit_node_uuid = fields.UUID(required=True)
    state = fields.Float(required=True)
    aggregation_type = enum_field(AggregationFunctions, required=True)
    time_window_size = fields.Integer(required=True)
    create_datetime = fields.DateTime(required=True)
    start_window_datetime = fields.DateTime(required=True)
    end_window_datetime = fields.DateTime(required=True)


class LastValueRead(BaseSchema):
    unit_node_uuid = fields.UUID(required=True)
    state = fields.String(required=True)
    last_update_datetime = fields.DateTime(required=True)


_SCHEMA_OF = {NRecordRow: NRecordsRead(), TimeWindowRow: TimeWindowRead(), AggregationRow: AggregationRead(),
              LastValueRow: LastValueRead()}


class PipeRow(fields.Field):
    """One history row, in the shape of its policy (NRecords, TimeWindow, Aggregation or LastValue)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return _SCHEMA_OF[type(value)].dump(value)


class PipeDataArgs(PageArgs):
    uuid = fields.UUID(required=True)
    type = enum_field(ProcessingPolicyType, required=True)
    search_string = fields.String(load_default=None)
    aggregation_type = enum_list(AggregationFunctions)
    time_window_size = fields.Integer(load_default=None)
    start_agg_window_datetime = fields.DateTime(load_default=None)
    end_agg_window_datetime = fields.DateTime(load_default=None)
    start_create_datetime = fields.DateTime(load_default=None)
    end_create_datetime = fields.DateTime(load_default=None)
    relative_time = fields.String(load_default=None, metadata={"description": "<int><s|m|h|d|M|y>"})
    order_by_create_date = order_field()


class PipeDataResult(CountedList):
    pipe_data = fields.List(PipeRow(metadata={"type": "object", "description": "the row shape of `type`"}),
                            required=True)


class CsvUpload(BaseSchema):
    data = Upload(required=True)


_ZIP_DOC = {"responses": {"200": {"description": "zip holding dp_data_<uuid4>.csv", "content": {
    "application/zip": {"schema": {"type": "string", "format": "binary"}}}}}}


list_route(blp, "/get_data_pipe_data/", PipeDataArgs, PipeDataResult, service.read, service.PipeDataFilter, "pipe_data",
           "A node's stored pipe data (creator, or a Unit that may see the node); ``count`` ignores paging.")


@blp.route("/get_data_pipe_data_csv/<uuid:uuid>")
class GetPipeDataCsv(MethodView):
    @blp.response(200)
    @blp.doc(**_ZIP_DOC)
    def get(self, uuid):
        """The node's data for its current policy as CSV in a zip, oldest first."""
        return Response(history_csv.export_csv(current_agent(), uuid), mimetype="application/zip")


@blp.route("/set_data_pipe_data_csv")
class SetPipeDataCsv(MethodView):
    @uuid_and_file(blp, CsvUpload)
    def post(self, args, files):
        """Replace the node's data with a CSV (multipart field ``data``); all rows are checked first (creator)."""
        history_csv.import_csv(current_agent(), args["uuid"], files["data"].read())


@blp.route("/delete_data_pipe_data/<uuid:uuid>")
class DeletePipeData(MethodView):
    @blp.response(204)
    def delete(self, uuid):
        """Delete all the node's stored pipe data (creator)."""
        service.delete(current_agent(), uuid)
