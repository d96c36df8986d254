"""Unit actions from the bot: documents, commands on the real broker, nodes; refusals."""
from __future__ import annotations

import io
import json
import re
import tarfile
import uuid
import zipfile
import zlib

from pepeunit.bot import callbacks as cb
from pepeunit.extensions import db
from pepeunit.models import UnitNode
from tests.helpers import API, auth
from tests.mqtt_listener import Listener
from tests.unit_repo import ENV_EXAMPLE, commit_files, refresh

from .browsing import OWNER_CHAT, buttons, labels, open_unit

SHIPPED = {"env.json", "schema.json", "main.py", "lib", "lib/helper.py", "schema_example.json", "env_example.json"}
RANDOM_KEYS = {"PU_SECRET_KEY", "PU_ENCRYPT_KEY"}  # fresh on every read, by design


def test_the_creator_sees_documents_commands_and_node_views(bot_world):
    bot_world.create_unit("unit-a")
    unit = open_unit(bot_world, OWNER_CHAT, "unit-a")
    assert labels(unit) == ["env.json", "zip", "tar", "tgz", "Update", "EnvUpdate", "SchemaUpdate", "LogSync",
                            "Inputs", "Outputs", "Logs", "Repo", "« Back to the list"]


def test_env_json_arrives_as_a_document_equal_to_the_rest_env(bot_world):
    unit = bot_world.create_unit("unit-a")
    view = open_unit(bot_world, OWNER_CHAT, "unit-a")

    answer = bot_world.press(OWNER_CHAT, "env.json", view)

    assert "show_alert" not in answer
    call = bot_world.standin.calls_to("sendDocument")[-1]
    name, data = call.files["document"]
    assert name == "env.json" and call.params["chat_id"] == str(OWNER_CHAT)
    assert call.params["caption"] == "env.json of <b>unit-a</b>" and call.params["parse_mode"] == "HTML"
    sent = json.loads(data)
    rest = bot_world.client.get(f"{API}/units/env/{unit['uuid']}", headers=auth(bot_world.token)).get_json()
    assert set(sent) == set(rest)
    assert {k: v for k, v in sent.items() if k not in RANDOM_KEYS} == {k: v for k, v in rest.items() if k not in RANDOM_KEYS}
    assert sent["DEV_KEY"] == ENV_EXAMPLE["DEV_KEY"] and len(sent["PU_COMMIT_VERSION"]) == 40


def test_firmware_archives_arrive_and_unpack_to_the_unit_files(bot_world):
    bot_world.create_unit("unit-a")
    view = open_unit(bot_world, OWNER_CHAT, "unit-a")
    for label in ("zip", "tar", "tgz"):
        assert "show_alert" not in bot_world.press(OWNER_CHAT, label, view)
    zipped, tarred, tgz = (c.files["document"] for c in bot_world.standin.calls_to("sendDocument")[-3:])

    assert zipped[0] == "unit-a.zip"
    archive = zipfile.ZipFile(io.BytesIO(zipped[1]))
    assert {n.rstrip("/") for n in archive.namelist()} == SHIPPED
    assert archive.read("main.py") == b"print('hello')\n"
    env = json.loads(archive.read("env.json"))
    assert env["DEV_KEY"] == "example" and env["PU_DOMAIN"] == bot_world.app.config["PU_SETTINGS"].PU_DOMAIN

    assert tarred[0] == "unit-a.tar"
    names = tarfile.open(fileobj=io.BytesIO(tarred[1])).getnames()
    assert names[:3] == [".", "./env.json", "./schema.json"] and {n[2:] for n in names[1:]} == SHIPPED

    assert tgz[0] == "unit-a.tgz" and tgz[1][:2] == b"\x18\xd3"  # zlib stream, wbits 9, level 9 (the REST default)
    inner = tarfile.open(fileobj=io.BytesIO(zlib.decompressobj(wbits=9).decompress(tgz[1])))
    schema = json.loads(inner.extractfile("./schema.json").read())
    assert any(t.endswith("/update/pepeunit") for t in schema["input_base_topic"]["update/pepeunit"])


def test_commands_publish_the_exact_payloads_on_the_broker(bot_world):
    unit = bot_world.create_unit("unit-a")
    view = open_unit(bot_world, OWNER_CHAT, "unit-a")
    domain = bot_world.app.config["PU_SETTINGS"].PU_DOMAIN
    target = bot_world.client.get(f"{API}/units/get_target_version/{unit['uuid']}", headers=auth(bot_world.token)).get_json()
    base = f"{domain}/input_base_topic/{unit['uuid']}"

    with Listener(f"{base}/#") as listener:
        answers = [bot_world.press(OWNER_CHAT, label, view) for label in ("Update", "EnvUpdate", "SchemaUpdate", "LogSync")]
        messages = listener.wait_for(4)

    assert messages == [
        (f"{base}/update/pepeunit", json.dumps({"COMMAND": "Update", "PU_COMMIT_VERSION": target["commit"]}).encode()),
        (f"{base}/env_update/pepeunit", b'{"COMMAND": "EnvUpdate"}'),
        (f"{base}/schema_update/pepeunit", b'{"COMMAND": "SchemaUpdate"}'),
        (f"{base}/log_sync/pepeunit", b'{"COMMAND": "LogSync"}'),
    ]
    assert [a["text"] for a in answers] == [f"{c} sent to unit-a." for c in ("Update", "EnvUpdate", "SchemaUpdate", "LogSync")]
    status = bot_world.client.get(f"{API}/units/{unit['uuid']}", headers=auth(bot_world.token)).get_json()
    assert status["firmware_update_status"] == "RequestSent"


def test_a_command_the_schema_lacks_is_not_sent_and_says_so(bot_world):
    schema = {"input_base_topic": ["update/pepeunit"], "output_base_topic": ["state/pepeunit"],
              "input_topic": ["in"], "output_topic": ["out"]}
    commit_files(bot_world.work, {"schema_example.json": json.dumps(schema)}, "no log sync")
    with bot_world.app.app_context():
        from pepeunit.models import RepositoryRegistry

        refresh(db.session.get(RepositoryRegistry, bot_world.registry_uuid), bot_world.work)
    unit = bot_world.create_unit("unit-a")
    view = open_unit(bot_world, OWNER_CHAT, "unit-a")
    domain = bot_world.app.config["PU_SETTINGS"].PU_DOMAIN
    with Listener(f"{domain}/input_base_topic/{unit['uuid']}/#") as listener:
        answer = bot_world.press(OWNER_CHAT, "LogSync", view)
        assert listener.settle() == []
    assert answer["text"] == "Not sent: this unit's schema has no topic for LogSync." and answer["show_alert"] == "True"


def test_input_and_output_nodes_with_their_values(bot_world):
    unit = bot_world.create_unit("unit-a")
    with bot_world.app.app_context():
        node = db.session.query(UnitNode).filter_by(unit_uuid=uuid.UUID(unit["uuid"]), topic_name="raw_out").one()
        node.state = "21.5 <C>"
        db.session.commit()
    view = open_unit(bot_world, OWNER_CHAT, "unit-a")

    bot_world.press(OWNER_CHAT, "Inputs", view)
    inputs = bot_world.message(OWNER_CHAT, view["message_id"])
    assert "<b>Inputs of unit-a</b>: 2" in inputs["text"]
    assert "<b>input/pepeunit</b>" in inputs["text"] and "<b>raw_in</b>" in inputs["text"]
    assert "raw_out" not in inputs["text"] and "no value yet" in inputs["text"]

    bot_world.press(OWNER_CHAT, "« Unit", inputs)
    bot_world.press(OWNER_CHAT, "Outputs", bot_world.message(OWNER_CHAT, view["message_id"]))
    outputs = bot_world.message(OWNER_CHAT, view["message_id"])
    assert "<b>Outputs of unit-a</b>: 2" in outputs["text"] and "<code>21.5 &lt;C&gt;</code>" in outputs["text"]
    answer = bot_world.press(OWNER_CHAT, "↻ Refresh", outputs)  # same content: Telegram's "not modified" is fine
    assert "show_alert" not in answer
    bot_world.press(OWNER_CHAT, "« Unit", outputs)
    bot_world.press(OWNER_CHAT, "« Back to the list", bot_world.message(OWNER_CHAT, view["message_id"]))
    assert "<b>Units</b>: 1 found" in bot_world.message(OWNER_CHAT, view["message_id"])["text"]


def test_someone_elses_units_are_refused_and_nothing_happens(bot_world):
    _, other_token = bot_world.user("other1", 7101)
    public = bot_world.create_unit("their-public", token=other_token)
    private = bot_world.create_unit("their-private", token=other_token, visibility_level="Private")
    domain = bot_world.app.config["PU_SETTINGS"].PU_DOMAIN

    view = open_unit(bot_world, OWNER_CHAT, "their-public")
    assert "(yours)" not in view["text"] and labels(view) == ["Inputs", "Outputs", "Repo", "« Back to the list"]
    documents = len(bot_world.standin.calls_to("sendDocument"))
    with Listener(f"{domain}/input_base_topic/#") as listener:
        for code in ("e", "z", "U", "L"):  # buttons it never showed, made by hand
            answer = bot_world.press_data(OWNER_CHAT, cb.action(code, public["uuid"]), view)
            assert answer["show_alert"] == "True" and "is not creator" in answer["text"], answer
        for code in ("e", "g", "E"):
            answer = bot_world.press_data(OWNER_CHAT, cb.action(code, private["uuid"]), view)
            assert answer["show_alert"] == "True" and "is not creator" in answer["text"]
        for unit in (public, private):
            answer = bot_world.press_data(OWNER_CHAT, cb.view(cb.LOGS, unit["uuid"]), view)
            assert answer["show_alert"] == "True" and "is not creator" in answer["text"]
        assert listener.settle() == []
    assert len(bot_world.standin.calls_to("sendDocument")) == documents

    edits = len(bot_world.standin.calls_to("editMessageText"))
    for data in (cb.open_(cb.UNIT, private["uuid"]), cb.view(cb.INPUTS, private["uuid"])):
        answer = bot_world.press_data(OWNER_CHAT, data, view)
        assert answer["show_alert"] == "True" and "Private visibility level is not allowed" in answer["text"]
    assert len(bot_world.standin.calls_to("editMessageText")) == edits


def test_forged_and_stale_buttons_change_nothing(bot_world):
    bot_world.create_unit("unit-a")
    view = open_unit(bot_world, OWNER_CHAT, "unit-a")
    edits, documents = len(bot_world.standin.calls_to("editMessageText")), len(bot_world.standin.calls_to("sendDocument"))
    missing = uuid.uuid4()
    for data in ("", "junk", "A:X:" + missing.hex, "A:U:not-a-uuid", "O:u:" + missing.hex.upper(), "L:short:1",
                 "F:AbCdEf12", "V:I:" + missing.hex + ":99999", "O:u:" + missing.hex + ":AbCdEf12", "x" * 64, "N:1"):
        answer = bot_world.press_data(OWNER_CHAT, data, view)
        assert answer["show_alert"] == "True" and "not valid" in answer["text"], (data, answer)
    for data in (cb.open_(cb.UNIT, missing), cb.action("z", missing), cb.action("U", missing), cb.view(cb.OUTPUTS, missing),
                 cb.related(cb.REPO, missing), cb.open_(cb.REGISTRY, missing)):
        answer = bot_world.press_data(OWNER_CHAT, data, view)
        assert answer["show_alert"] == "True" and "The object does not exist" in answer["text"], (data, answer)
    listed = bot_world.send(OWNER_CHAT, "/unit")
    token = next(b["callback_data"] for b in buttons(listed) if b["text"] == "Mine only").split(":")[1]
    answer = bot_world.press_data(OWNER_CHAT, cb.toggle(token, "Z"), listed)
    assert answer["show_alert"] == "True" and "not valid" in answer["text"]
    assert len(bot_world.standin.calls_to("editMessageText")) == edits
    assert len(bot_world.standin.calls_to("sendDocument")) == documents


def test_unlinked_and_blocked_chats_cannot_act_on_units(bot_world):
    user, token = bot_world.user("blocky", 7302)
    unit = bot_world.create_unit("their-unit", token=token)
    view = open_unit(bot_world, 7302, "their-unit")
    assert "Update" in labels(view)
    assert bot_world.client.patch(f"{API}/users/block/{user['uuid']}", headers=auth(bot_world.token)).status_code == 204
    domain = bot_world.app.config["PU_SETTINGS"].PU_DOMAIN
    elsewhere = dict(view, chat={"id": 7303, "type": "private", "first_name": "Tester"})

    with Listener(f"{domain}/input_base_topic/{unit['uuid']}/#") as listener:
        blocked = [bot_world.press(7302, label, view) for label in ("Update", "env.json", "Inputs")]
        unlinked = [bot_world.press(7303, label, elsewhere) for label in ("Update", "zip", "Outputs")]
        assert listener.settle() == []

    assert all(a["show_alert"] == "True" and "is blocked" in a["text"] for a in blocked)
    assert all(a["show_alert"] == "True" and "not linked" in a["text"] for a in unlinked)
    assert bot_world.standin.calls_to("sendDocument") == []
    status = bot_world.client.get(f"{API}/units/{unit['uuid']}", headers=auth(bot_world.token)).get_json()
    assert status["firmware_update_status"] is None


def test_a_document_over_telegrams_limit_is_explained_not_sent(bot_world, monkeypatch):
    from pepeunit.bot.handlers import unit_actions

    bot_world.create_unit("unit-a")
    view = open_unit(bot_world, OWNER_CHAT, "unit-a")
    monkeypatch.setattr(unit_actions, "MAX_DOCUMENT_BYTES", 1024)  # a lower limit than Telegram's 50 MB
    answer = bot_world.press(OWNER_CHAT, "tar", view)
    assert re.fullmatch(r"The file is \d+\.\d KB; Telegram bots may send at most 1\.0 KB\. Download it through the REST API instead\.",
                        answer["text"]), answer
    assert answer["show_alert"] == "True"
    assert bot_world.standin.calls_to("sendDocument") == []
