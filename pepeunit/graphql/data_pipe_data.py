"""GraphQL door for a node's DataPipe history: ``getPipeData``, ``setDataPipeDataCsv``, ``deleteDataPipeData``."""
from __future__ import annotations

import graphene

from .. import models as m
from ..services.datapipe import history as service
from ..services.datapipe import history_csv
from ..services.datapipe.storage import AggregationRow, LastValueRow, NRecordRow, TimeWindowRow
from .common import CountedList, PageInput, list_query, uuid_action
from .enums import AggregationFunctions, OrderByDate, ProcessingPolicyType, TypeInputValue, enum_list
from .upload import Upload, read_upload


class StoredValue:
    """What NRecords and TimeWindow rows share, first in both (graphene reads fields from every base)."""

    unit_node_uuid = graphene.UUID(required=True)
    state = graphene.String(required=True)
    state_type = TypeInputValue(required=True)
    create_datetime = graphene.DateTime(required=True)


class NRecordsType(StoredValue, graphene.ObjectType):
    max_count = graphene.Int(required=True)
    size = graphene.Int(required=True)


class TimeWindowType(StoredValue, graphene.ObjectType):
    expiration_datetime = graphene.DateTime(required=True)
    size = graphene.Int(required=True)


class AggregationType(graphene.ObjectType):
    """v1.2's type: ``state`` is a Float here and there is no ``endWindowDatetime`` (REST has it)."""

    unit_node_uuid = graphene.UUID(required=True)
    state = graphene.Float(required=True)
    aggregation_type = AggregationFunctions(required=True)
    time_window_size = graphene.Int(required=True)
    create_datetime = graphene.DateTime(required=True)
    start_window_datetime = graphene.DateTime(required=True)


class LastValueType(graphene.ObjectType):
    unit_node_uuid = graphene.UUID(required=True)
    state = graphene.String(required=True)
    last_update_datetime = graphene.DateTime(required=True)


_TYPE_OF = {NRecordRow: NRecordsType, TimeWindowRow: TimeWindowType, AggregationRow: AggregationType,
            LastValueRow: LastValueType}


class NRecordsTypeTimeWindowTypeAggregationTypeLastValueType(graphene.Union):
    class Meta:
        types = (NRecordsType, TimeWindowType, AggregationType, LastValueType)

    @classmethod
    def resolve_type(cls, instance, info):
        return _TYPE_OF[type(instance)]


class PipeDataResultType(CountedList, graphene.ObjectType):
    pipe_data = graphene.List(graphene.NonNull(NRecordsTypeTimeWindowTypeAggregationTypeLastValueType),
                              required=True)


class DataPipeFilterInput(PageInput, graphene.InputObjectType):
    uuid = graphene.UUID(required=True)
    type = ProcessingPolicyType(required=True)
    search_string = graphene.String(default_value=None)
    aggregation_type = enum_list(AggregationFunctions, m.AggregationFunctions)
    time_window_size = graphene.Int(default_value=None)
    start_agg_window_datetime = graphene.DateTime(default_value=None)
    end_agg_window_datetime = graphene.DateTime(default_value=None)
    start_create_datetime = graphene.DateTime(default_value=None)
    end_create_datetime = graphene.DateTime(default_value=None)
    relative_time = graphene.String(default_value=None)
    order_by_create_date = OrderByDate(default_value=m.OrderByDate.desc)


def _import_csv(caller, uuid, file):
    history_csv.import_csv(caller, uuid, read_upload(file))


class DataPipeDataQuery(graphene.ObjectType):
    get_pipe_data = list_query(PipeDataResultType, "pipe_data", DataPipeFilterInput, service.read,
                               service.PipeDataFilter)


class DataPipeDataMutation(graphene.ObjectType):
    set_data_pipe_data_csv = uuid_action(_import_csv, file=Upload(required=True))
    delete_data_pipe_data = uuid_action(service.delete)
