"""One error model for every door.

A service raises a ``PepeunitError`` subclass. REST answers
``{"detail": "<status>: <code>: <Template>: <text>"}`` with that HTTP status;
GraphQL puts the same string in ``errors[].message`` (the official frontend
strips the first four characters, ``"403:"``, so every message starts with the
status). The classes, codes and templates are Pepeunit v1.2's.
"""
from __future__ import annotations


class PepeunitError(Exception):
    status = 500
    code = 0
    template = "Internal Error: {}"

    def __init__(self, text: str = ""):
        self.text = text
        self.message = f"{self.status}: {self.code}: {self.template.format(text)}"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class NoAccessError(PepeunitError):
    status, code, template = 403, 1, "No Access: {}"


class ValidationError(PepeunitError):
    status, code, template = 422, 2, "Validation Error: {}"


class UserError(PepeunitError):
    status, code, template = 422, 3, "User Validation Error: {}"


class PermissionError_(PepeunitError):
    status, code, template = 422, 4, "Permission Validation Error: {}"


class GitRepoError(PepeunitError):
    status, code, template = 422, 5, "Git Repo Validation Error: {}"


class RepoError(PepeunitError):
    status, code, template = 422, 6, "Repo Validation Error: {}"


class UnitError(PepeunitError):
    status, code, template = 422, 7, "Unit Validation Error: {}"


class UnitNodeError(PepeunitError):
    status, code, template = 422, 8, "UnitNode Validation Error: {}"


class DataPipeError(PepeunitError):
    status, code, template = 422, 8, "DataPipe Validation Error: {}"


class JSONDecodeError_(PepeunitError):
    status, code, template = 422, 9, "JSON Decode Error: {}"


class MqttError(PepeunitError):
    status, code, template = 422, 10, "MQTT Error: {}"


class UpdateError(PepeunitError):
    status, code, template = 422, 11, "Update Error: {}"


class CipherError(PepeunitError):
    status, code, template = 422, 12, "Cipher Error: {}"


class RepositoryRegistryError(PepeunitError):
    status, code, template = 422, 13, "Repository Registry Validation Error: {}"


class GitPlatformClientError(PepeunitError):
    status, code, template = 422, 14, "Git Platform Client Error: {}"


class GrafanaError(PepeunitError):
    status, code, template = 422, 14, "Grafana Error: {}"


class FeatureFlagError(PepeunitError):
    status, code, template = 405, 15, "Feature Flag Error: {}"

    def __init__(self, text: str = "This feature has been disabled by the instance Owner"):
        super().__init__(text)


class ReadmeGenerationError(PepeunitError):
    status, code, template = 422, 16, "Readme Generation Error: {}"


class ServiceUnavailableError(PepeunitError):
    """A service the request needs (PostgreSQL, Redis, the MQTT broker) is down or frozen: try
    again later; nothing is wrong with the request.

    REST answers 503 with a ``Retry-After`` header of ``retry_after`` seconds."""

    status, code, template = 503, 17, "Service Unavailable: {}"
    retry_after = 5


class InternalError(PepeunitError):
    """What a caller sees when something unexpected broke; details go to the log only."""

    status, code, template = 500, 0, "Internal Server Error{}"


NOT_FOUND = "The object does not exist"
CHILDREN_EXIST = "The array was expected to be empty, but it turned out to be full"


def not_found() -> ValidationError:
    return ValidationError(NOT_FOUND)
