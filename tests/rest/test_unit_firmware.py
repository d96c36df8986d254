"""Firmware archives (zip, tar, tgz) and pushing a repo's new version to its units."""
import io
import json
import tarfile
import uuid
import zipfile
import zlib

from pepeunit.extensions import db
from pepeunit.models import UnitNode
from pepeunit.services.unit_firmware import repository_entries
from tests.helpers import API, auth, new_user
from tests.mqtt_listener import Listener
from tests.unit_repo import SCHEMA

SHIPPED = {"env.json", "schema.json", "main.py", "lib", "lib/helper.py", "schema_example.json", "env_example.json"}


def _tar_names(data: bytes) -> list[str]:
    return tarfile.open(fileobj=io.BytesIO(data)).getnames()


def test_three_archive_formats(unit_world):
    unit = unit_world.create_unit("unit-one")
    client, token = unit_world.client, unit_world.token
    zipped = client.get(f"{API}/units/firmware/zip/{unit['uuid']}", headers=auth(token))
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(zipped.data))
    names = archive.namelist()
    assert {n.rstrip("/") for n in names} == SHIPPED and "lib/" in names
    env = json.loads(archive.read("env.json"))
    assert env["PU_AUTH_TOKEN"] and len(env["PU_COMMIT_VERSION"]) == 40
    schema = json.loads(archive.read("schema.json"))
    assert schema["input_base_topic"]["update/pepeunit"][0].endswith(f"/input_base_topic/{unit['uuid']}/update/pepeunit")
    assert archive.read("main.py") == b"print('hello')\n"

    tar = client.get(f"{API}/units/firmware/tar/{unit['uuid']}", headers=auth(token))
    assert tar.mimetype == "application/x-tar"
    names = _tar_names(tar.data)
    assert names[:3] == [".", "./env.json", "./schema.json"]
    assert {n[2:] for n in names[1:]} == SHIPPED and all(n.startswith("./") for n in names[1:])

    tgz = client.get(f"{API}/units/firmware/tgz/{unit['uuid']}", headers=auth(token))
    assert tgz.data[:2] == b"\x18\xd3"  # zlib header, 512-byte window (wbits 9), level 9
    assert _tar_names(zlib.decompressobj(wbits=9).decompress(tgz.data))[:3] == [".", "./env.json", "./schema.json"]
    gz = client.get(f"{API}/units/firmware/tgz/{unit['uuid']}", query_string={"wbits": 31, "level": 1},
                    headers=auth(token))
    assert tarfile.open(fileobj=io.BytesIO(gz.data), mode="r:gz").getnames()[0] == "."
    raw = client.get(f"{API}/units/firmware/tgz/{unit['uuid']}", query_string={"wbits": -15, "level": 0},
                     headers=auth(token))
    assert _tar_names(zlib.decompressobj(wbits=-15).decompress(raw.data))[0] == "."


def test_tgz_parameters_are_checked_first(unit_world):
    unit = unit_world.create_unit("unit-one")
    bad = unit_world.client.get(f"{API}/units/firmware/tgz/{unit['uuid']}", query_string={"wbits": 8})
    detail = bad.get_json()["detail"]
    assert bad.status_code == 422 and detail.startswith("422: 7: Unit Validation Error: Wbits 8 is not valid, available [-15, ")
    assert detail.endswith("25, 26, 27, 28, 29, 30, 31]")
    level = unit_world.client.get(f"{API}/units/firmware/tgz/{unit['uuid']}", query_string={"level": 10})
    assert level.get_json()["detail"] == ("422: 7: Unit Validation Error: Level 10 is not valid, available "
                                          "[-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]")
    assert unit_world.client.get(f"{API}/units/firmware/tgz/{unit['uuid']}",
                                 query_string={"wbits": "x"}).status_code == 422
    _, stranger = new_user(unit_world.client, "stranger")
    assert unit_world.client.get(f"{API}/units/firmware/zip/{unit['uuid']}", headers=auth(stranger)).status_code == 403


def test_archive_never_leaves_its_root():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind, link in [("ok.txt", "file", ""), ("../evil.txt", "file", ""), ("/etc/evil", "file", ""),
                                 ("a/../../evil2", "file", ""), ("link_out", "sym", "../../etc/passwd"),
                                 ("link_abs", "sym", "/etc/passwd"), ("d/link_in", "sym", "../ok.txt"),
                                 ("dev", "chr", ""), ("hard", "lnk", "ok.txt")]:
            info = tarfile.TarInfo(name)
            if kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, link
            elif kind == "chr":
                info.type = tarfile.CHRTYPE
            elif kind == "lnk":
                info.type, info.linkname = tarfile.LNKTYPE, link
            tar.addfile(info, io.BytesIO(b"") if kind == "file" else None)
    entries = repository_entries(buffer.getvalue(), None)
    assert [(e.name, e.kind) for e in entries] == [("ok.txt", "file"), ("d", "dir"), ("d/link_in", "symlink")]


def test_pepeignore_negation_and_directories():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in ("keep.md", "drop.md", "build/out.bin", "build/keep.md", "src/a.py", "src/b.pyc", "env.json"):
            data = b"x"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    entries = repository_entries(buffer.getvalue(), b"*.md\n!keep.md\nbuild/\n*.pyc\n# comment\n")
    assert sorted(e.name for e in entries) == ["keep.md", "src", "src/a.py"]


def test_broken_repository_gives_clear_errors(unit_world):
    unit = unit_world.create_unit("unit-one", is_auto_update_from_repo_unit=False, repo_branch="main",
                                  repo_commit=unit_world.push({}, "noop"))
    client, token = unit_world.client, unit_world.token
    broken = unit_world.push({"schema_example.json": "{not json"}, "break schema")
    response = client.patch(f"{API}/units/{unit['uuid']}", json={"repo_commit": broken}, headers=auth(token))
    assert response.get_json()["detail"] == "422: 9: JSON Decode Error: Data schema_example.json is invalid"
    missing = unit_world.push({"env_example.json": None, "schema_example.json": json.dumps(SCHEMA)}, "drop env")
    response = client.patch(f"{API}/units/{unit['uuid']}", json={"repo_commit": missing}, headers=auth(token))
    assert response.get_json()["detail"] == (f"422: 5: Git Repo Validation Error: File env_example.json not found "
                                             f"in repo commit {missing}")
    bad_topics = unit_world.push({"env_example.json": "{}", "schema_example.json": json.dumps(
        {**SCHEMA, "input_topic": ["bad topic"]})}, "bad topic")
    response = client.patch(f"{API}/units/{unit['uuid']}", json={"repo_commit": bad_topics}, headers=auth(token))
    assert "Topics in the schema use characters that are not allowed" in response.get_json()["detail"]
    assert client.get(f"{API}/units/{unit['uuid']}").get_json()["repo_commit"] == unit["repo_commit"]  # unchanged
    assert client.get(f"{API}/units/firmware/zip/{unit['uuid']}", headers=auth(token)).status_code == 200


def test_repo_version_change_resyncs_nodes_and_sends_update(unit_world):
    unit = unit_world.create_unit("unit-one")
    first = unit_world.client.get(f"{API}/units/get_target_version/{unit['uuid']}",
                                  headers=auth(unit_world.token)).get_json()["commit"]
    pinned = unit_world.create_unit("unit-two", is_auto_update_from_repo_unit=False, repo_branch="main",
                                    repo_commit=first)
    client, token, domain = unit_world.client, unit_world.token, unit_world.settings.PU_DOMAIN
    new_schema = {**SCHEMA, "input_topic": ["input/pepeunit", "extra_in"], "output_topic": ["output/pepeunit"]}
    sha = unit_world.push({"schema_example.json": json.dumps(new_schema)}, "new topics")
    with Listener(f"{domain}/input_base_topic/{unit['uuid']}/#") as listener:
        response = client.patch(f"{API}/repos/update_units_firmware/{unit_world.repo_uuid}", headers=auth(token))
        assert response.status_code == 204
        messages = listener.wait_for(1)
    assert messages == [(f"{domain}/input_base_topic/{unit['uuid']}/update/pepeunit",
                         json.dumps({"COMMAND": "Update", "PU_COMMIT_VERSION": sha}).encode())]
    with unit_world.app.app_context():
        nodes = db.session.query(UnitNode).filter_by(unit_uuid=uuid.UUID(unit["uuid"])).all()
        assert sorted(n.topic_name for n in nodes) == ["extra_in", "input/pepeunit", "output/pepeunit"]
    got = client.get(f"{API}/units/get_target_version/{unit['uuid']}", headers=auth(token)).get_json()
    assert got == {"commit": sha, "tag": None}
    assert client.get(f"{API}/units/{unit['uuid']}").get_json()["firmware_update_status"] == "RequestSent"
    with unit_world.app.app_context():  # the pinned unit keeps its version and nodes
        nodes = db.session.query(UnitNode).filter_by(unit_uuid=uuid.UUID(pinned["uuid"])).all()
        assert sorted(n.topic_name for n in nodes) == ["input/pepeunit", "output/pepeunit", "raw_in", "raw_out"]
    _, stranger = new_user(client, "stranger")
    assert client.patch(f"{API}/repos/update_units_firmware/{unit_world.repo_uuid}",
                        headers=auth(stranger)).status_code == 403
    assert client.patch(f"{API}/repos/update_units_firmware/{uuid.uuid4()}", headers=auth(token)).status_code == 422


def test_bulk_update_is_admin_only_and_runs(unit_world):
    unit = unit_world.create_unit("unit-one")
    client, domain = unit_world.client, unit_world.settings.PU_DOMAIN
    _, plain_user = new_user(client, "plainuser")
    assert client.post(f"{API}/repos/bulk_update", headers=auth(plain_user)).status_code == 403
    with Listener(f"{domain}/input_base_topic/{unit['uuid']}/update/pepeunit") as listener:
        assert client.post(f"{API}/repos/bulk_update", headers=auth(unit_world.token)).status_code == 204
        assert len(listener.wait_for(1)) == 1
