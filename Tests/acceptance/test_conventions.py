"""Conventions of the contract: parameter sources (query, JSON body, form body; the body wins;
JSON text in query/form), boolean spellings, wrong JSON types, unknown routes (404 not_found),
wrong methods (405), unsupported bodies (415), malformed JSON, the error shape, JSON content
types, opaque unguessable ids, and queue-name syntax."""

import gzip
import json
import math
import re
import time

import pytest

from support.client import assert_error, assert_json_content_type, uid


# ------------------------------------------------------------------------ parameter sources

def test_params_from_query_string(client):
    topic = client.topic()
    r = client.api("PUT", "/task", params={"publisher": "from-query", "data": json.dumps(topic.data(n=1))})
    assert r.status == 201, r
    task = client.get_task(r.body["tasks"][0]["id"])
    assert task["publisher"] == "from-query" and task["data"] == topic.data(n=1)


def test_params_from_json_body(client):
    topic = client.topic()
    r = client.api("PUT", "/task", json={"publisher": "from-json", "data": topic.data(n=2)})
    assert r.status == 201, r
    assert client.get_task(r.body["tasks"][0]["id"])["publisher"] == "from-json"


def test_params_from_form_body(client):
    topic = client.topic()
    r = client.api("PUT", "/task", form={"publisher": "from-form", "data": json.dumps(topic.data(n=3))})
    assert r.status == 201, r
    task = client.get_task(r.body["tasks"][0]["id"])
    assert task["publisher"] == "from-form" and task["data"] == topic.data(n=3)


def test_json_body_with_charset_is_json(client):
    topic = client.topic()
    body = json.dumps({"publisher": "p", "data": topic.data(s="é")}).encode("utf-8")
    r = client.api("PUT", "/task", data=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status == 201, r
    assert client.get_task(r.body["tasks"][0]["id"])["data"] == topic.data(s="é")


def test_json_body_wins_over_query(client):
    topic = client.topic()
    other = client.topic()
    r = client.api("PUT", "/task", params={"publisher": "query", "data": json.dumps(other.data())},
                   json={"publisher": "body", "data": topic.data()})
    assert r.status == 201, r
    assert [t["queue"] for t in r.body["tasks"]] == [topic.queue]
    assert client.get_task(r.body["tasks"][0]["id"])["publisher"] == "body"
    assert client.queue_status(other.queue)["length"] == 0


def test_form_body_wins_over_query(client):
    topic = client.topic()
    r = client.api("PUT", "/task", params={"publisher": "query"},
                   form={"publisher": "form", "data": json.dumps(topic.data())})
    assert r.status == 201, r
    assert client.get_task(r.body["tasks"][0]["id"])["publisher"] == "form"


def test_query_and_body_params_combine(client):
    topic = client.topic()
    r = client.api("PUT", "/task", params={"publisher": "query-only"}, json={"data": topic.data()})
    assert r.status == 201, r
    assert client.get_task(r.body["tasks"][0]["id"])["publisher"] == "query-only"


def test_json_text_lists_in_query(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    r = client.api("PUT", "/worker", params={"queues": json.dumps([topic.queue, f"x-{topic.tag}"])})
    assert r.status == 201 and r.body["queues"] == [topic.queue, f"x-{topic.tag}"], r
    w = r.body["workerId"]
    assert client.lease(w)["id"] == tid
    r = client.api("POST", "/worker", params={"workerId": w, "tasks": json.dumps([tid])})
    assert r.status == 200 and r.body["tasks"] == [tid], r


@pytest.mark.parametrize("where", ["query", "form"])
@pytest.mark.parametrize("spelling,fast", [("true", True), ("1", True), ("yes", True),
                                           ("false", False), ("0", False), ("no", False)])
def test_boolean_spellings(client, where, spelling, fast):
    topic = client.topic()
    params = {"publisher": "p", "data": json.dumps(topic.data()), "fastPost": spelling}
    r = client.api("PUT", "/task", **({"params": params} if where == "query" else {"form": params}))
    if fast:
        assert r.status == 202 and r.body["accepted"] is True, r
    else:
        assert r.status == 201 and len(r.body["tasks"]) == 1, r


@pytest.mark.parametrize("spelling,expected", [("true", True), ("yes", True), ("1", True),
                                               ("false", False), ("no", False), ("0", False)])
def test_boolean_spellings_set_task_flags(client, spelling, expected):
    topic = client.topic()
    r = client.api("PUT", "/task", form={"publisher": "p", "data": json.dumps(topic.data()),
                                         "singularlyRun": spelling})
    assert r.status == 201, r
    assert client.get_task(r.body["tasks"][0]["id"])["singularlyRun"] is expected


def test_json_booleans_in_json_body(client):
    topic = client.topic()
    r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data(), "fastPost": True})
    assert r.status == 202, r
    r = client.api("PUT", "/task", json={"publisher": "p", "data": topic.data(n=2), "fastPost": False})
    assert r.status == 201, r


def test_invalid_boolean_spelling_is_400(client):
    topic = client.topic()
    r = client.api("PUT", "/task", params={"publisher": "p", "data": json.dumps(topic.data()),
                                           "fastPost": "maybe"})
    assert_error(r, 400, "bad_request", "fastPost")
    assert client.queue_status(topic.queue)["length"] == 0


@pytest.mark.parametrize("data_text", ['{"t": ', "[1, 2]", '"text"', "42", "null", "not json"])
def test_malformed_json_text_in_query_is_400_naming_it(client, data_text):
    r = client.api("PUT", "/task", params={"publisher": "p", "data": data_text})
    assert_error(r, 400, "bad_request", "data")


@pytest.mark.parametrize("data_text", ['{"t": ', "[1]"])
def test_malformed_json_text_in_form_is_400_naming_it(client, data_text):
    r = client.api("PUT", "/task", form={"publisher": "p", "data": data_text})
    assert_error(r, 400, "bad_request", "data")


def test_a_form_body_that_is_not_utf8_is_400_and_stores_nothing(client):
    topic = client.topic()
    body = b"publisher=p\xff&data=" + json.dumps(topic.data()).encode()
    r = client.api("PUT", "/task", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 400, "bad_request", "UTF-8")
    assert client.queue_status(topic.queue)["length"] == 0


def test_an_untyped_body_that_is_not_text_is_415(client):
    # Without a Content-Type, a body is read as JSON when it opens with {, else as a form.
    r = client.api("PUT", "/task", data=b"\xff\xfe\x00\x01")
    assert_error(r, 415, "unsupported_media_type", "Content-Type")


def test_a_null_number_in_a_query_is_absent(client):
    topic = client.topic()
    r = client.api("PUT", "/task", params={"publisher": "p", "data": json.dumps(topic.data()), "runAt": "null"})
    assert r.status == 201, r
    assert r.body["tasks"][0]["state"] == "queued", r


@pytest.mark.parametrize("escaped,mentions", [("%FF", "not UTF-8"), ("%zz", "malformed %-escape"), ("%4", "malformed %-escape")])
def test_a_form_whose_escapes_do_not_decode_is_400_saying_why(client, escaped, mentions):
    topic = client.topic()
    body = f"publisher=p{escaped}&data=" + json.dumps(topic.data())
    r = client.api("PUT", "/task", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 400, "bad_request", mentions)
    assert client.queue_status(topic.queue)["length"] == 0


@pytest.mark.parametrize("where", ["json", "form"])
def test_nul_in_a_text_parameter_is_400_and_stores_nothing(client, where):
    topic = client.topic()
    body = {"publisher": "p\u0000x", "data": json.dumps(topic.data()) if where == "form" else topic.data()}
    r = client.api("PUT", "/task", **{where: body})
    assert_error(r, 400, "bad_request", "publisher")
    assert client.queue_status(topic.queue)["length"] == 0


@pytest.mark.parametrize("where", ["json", "form"])
def test_nul_in_a_list_item_is_refused_and_changes_nothing(client, where):
    def listed(*items):
        return list(items) if where == "json" else ",".join(items)

    topic = client.topic()
    workers_before = set(client.workers())
    r = client.api("PUT", "/worker", **{where: {"queues": listed(topic.queue, "q\u0000x")}})
    assert_error(r, 400, "invalid_queues", "queue name")
    assert set(client.workers()) == workers_before
    w = client.register(topic.queue)
    r = client.api("POST", "/worker", **{where: {"workerId": w, "tasks": listed("t_\u0000x")}})
    assert_error(r, 400, "bad_request", "tasks")


@pytest.mark.parametrize("method,path,params", [
    ("DELETE", "/worker", {"queue": "bad name"}),
    ("DELETE", "/interest", {"queue": "bad name"}),
    ("DELETE", "/queue", {"queue": "bad name"}),
    ("GET", "/status", {"queue": "bad name"}),
])
def test_a_malformed_queue_name_is_400_wherever_a_queue_is_named(client, method, path, params):
    assert_error(client.api(method, path, params=params), 400, "bad_request", "queue name")


@pytest.mark.parametrize("where", ["json", "form", "params"])
def test_delete_worker_with_an_empty_selector_is_400_and_deletes_nothing(client, where):
    """Given but empty, workerId must not be taken as absent: the queue would select instead."""
    topic = client.topic()
    w = client.register(topic.queue)
    for body in ({"workerId": ""}, {"workerId": "", "queue": topic.queue}, {"workerId": w, "queue": ""}):
        assert_error(client.api("DELETE", "/worker", **{where: body}), 400, "bad_request")
    assert w in client.workers()


def test_run_at_number_text_in_query(client):
    topic = client.topic()
    at = math.floor(time.time()) + 3600.25
    r = client.api("PUT", "/task", params={"publisher": "p", "data": json.dumps(topic.data()), "runAt": repr(at)})
    assert r.status == 201, r
    task = client.get_task(r.body["tasks"][0]["id"])
    assert abs(task["runAt"] - at) < 1e-3 and task["state"] == "scheduled"


@pytest.mark.parametrize("text", ["0x10", "nan", "inf", "1e", "+", "1.2.3", " 5"])
def test_numbers_in_text_are_decimal_only(client, text):
    topic = client.topic()
    r = client.api("PUT", "/task", params={"publisher": "p", "data": json.dumps(topic.data()), "runAt": text})
    assert_error(r, 400, "bad_request", "runAt")
    assert client.queue_status(topic.queue)["length"] + client.queue_status(topic.queue)["scheduled"] == 0


@pytest.mark.parametrize("text,expected", [("2e9", 2e9), ("-.5", -0.5), ("+12", 12.0), ("1E+2", 100.0)])
def test_decimal_numbers_in_text(client, text, expected):
    topic = client.topic()
    r = client.api("PUT", "/task", params={"publisher": "p", "data": json.dumps(topic.data()), "runAt": text})
    assert r.status == 201, r
    assert client.get_task(r.body["tasks"][0]["id"])["runAt"] == expected


def test_an_attempt_below_one_and_a_negative_wait_are_400(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    w = client.register(topic.queue)
    assert_error(client.api("GET", "/task", params={"workerId": w, "wait": "-5"}), 400, "bad_request", "wait")
    assert client.lease(w)["id"] == tid
    for attempt in (0, -1):
        r = client.api("POST", "/task", json={"workerId": w, "taskId": tid, "state": "success", "attempt": attempt})
        assert_error(r, 400, "bad_request", "attempt")
    r = client.api("POST", "/task", json={"workerId": w, "taskId": tid, "state": "success", "next": 1, "wait": -1})
    assert_error(r, 400, "bad_request", "wait")
    assert client.get_task(tid)["state"] == "started", "a refused report changes nothing"


def test_run_at_bad_text_in_query_is_400(client):
    r = client.api("PUT", "/task", params={"publisher": "p", "data": "{}", "runAt": "tomorrow"})
    assert_error(r, 400, "bad_request", "runAt")


@pytest.mark.parametrize("method,path,body,param", [
    ("PUT", "/task", {"publisher": 5, "data": {}}, "publisher"),
    ("PUT", "/task", {"publisher": "p", "data": {}, "runAt": True}, "runAt"),
    ("PUT", "/task", {"publisher": "p", "data": '{"a": 1}'}, "data"),
    ("PUT", "/task", {"publisher": ["p"], "data": {}}, "publisher"),
    ("PUT", "/worker", {"queues": {"a": 1}}, "queues"),
    ("POST", "/worker", {"workerId": 12}, "workerId"),
    ("DELETE", "/worker", {"workerId": 12}, "workerId"),
    ("PUT", "/interest", {"queue": 7, "interests": {"a": "b"}}, "queue"),
    ("DELETE", "/interest", {"queue": ["q"]}, "queue"),
    ("DELETE", "/queue", {"queue": True}, "queue"),
])
def test_wrong_json_type_is_400_naming_the_param(client, method, path, body, param):
    r = client.api(method, path, json=body)
    assert_error(r, 400, "bad_request", param)


def test_heartbeat_tasks_of_wrong_type_is_400(client):
    w = client.register(f"q-{uid()}")
    r = client.api("POST", "/worker", json={"workerId": w, "tasks": 5})
    assert_error(r, 400, "bad_request", "tasks")


# ----------------------------------------------------------------------- routes and methods

@pytest.mark.parametrize("method,path", [
    ("GET", "/nope"), ("POST", "/taskz"), ("GET", "/task/extra"), ("DELETE", "/workers"),
    ("GET", "/status/queues"), ("PUT", "/interests"),
])
def test_unknown_route_is_404_not_found(client, method, path):
    assert_error(client.api(method, path), 404, "not_found")


@pytest.mark.parametrize("method,path", [
    ("DELETE", "/task"), ("PATCH", "/task"), ("GET", "/worker"), ("PATCH", "/worker"),
    ("GET", "/interest"), ("POST", "/interest"), ("GET", "/queue"), ("PUT", "/queue"),
    ("POST", "/queue"), ("POST", "/status"), ("DELETE", "/status"), ("PUT", "/health"),
    ("POST", "/health"),
])
def test_known_route_with_another_method_is_405(client, method, path):
    assert_error(client.api(method, path, json={}), 405, "method_not_allowed")


@pytest.mark.parametrize("method,path,allowed", [
    ("PATCH", "/task", {"GET", "POST", "PUT"}), ("PUT", "/health", {"GET", "HEAD"}),
    ("POST", "/status", {"GET", "HEAD"}), ("HEAD", "/task", {"GET", "POST", "PUT"}),
    ("DELETE", "/api/taskGet", {"GET", "POST"}), ("GET", "/api/tasksUpdate", {"POST"}),
    ("PUT", "/api/status", {"GET", "HEAD", "POST"}), ("HEAD", "/api/taskCreate", {"PUT", "POST"}),
])
def test_a_405_names_the_allowed_methods(client, method, path, allowed):
    """RFC 9110: a 405 carries Allow. HEAD is allowed where GET only reads (not a lease)."""
    r = client.api(method, path)
    assert r.status == 405, r
    assert {m.strip() for m in r.headers["Allow"].split(",")} == allowed, r.headers


@pytest.mark.parametrize("path", ["/health", "/status", "/api/status", "/api?action=health"])
def test_head_answers_a_read_without_its_body(client, server, path):
    import requests as plain
    get, head = plain.get(server.url(path), timeout=10), plain.head(server.url(path), timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Type"] == "application/json" and int(head.headers["Content-Length"]) > 0
    assert get.status_code == 200


@pytest.mark.parametrize("ctype,body", [
    ("text/plain", b"publisher=p&data={}"),
    ("application/xml", b"<task><publisher>p</publisher></task>"),
    ("application/octet-stream", b"\x00\x01\x02"),
])
def test_body_that_is_neither_json_nor_form_is_415(client, ctype, body):
    topic = client.topic()
    r = client.api("PUT", "/task", params={"publisher": "p", "data": json.dumps(topic.data())},
                   data=body, headers={"Content-Type": ctype})
    assert_error(r, 415, "unsupported_media_type")
    assert client.queue_status(topic.queue)["length"] == 0


@pytest.mark.parametrize("encoding", ["gzip", "identity, gzip", "GZIP"])
def test_a_compressed_body_is_415_naming_its_encoding(client, encoding):
    topic = client.topic()
    body = gzip.compress(json.dumps({"publisher": "p", "data": topic.data()}).encode())
    r = client.api("PUT", "/task", data=body,
                   headers={"Content-Type": "application/json", "Content-Encoding": encoding})
    assert_error(r, 415, "unsupported_media_type", "Content-Encoding " + encoding.split(", ")[-1])
    assert r.headers["Accept-Encoding"] == "identity"
    assert client.queue_status(topic.queue)["length"] == 0


def test_a_body_marked_identity_is_read_as_it_is(client):
    topic = client.topic()
    r = client.api("PUT", "/task", data=json.dumps({"publisher": "p", "data": topic.data()}),
                   headers={"Content-Type": "application/json", "Content-Encoding": "identity"})
    assert r.status == 201, r
    assert client.queue_status(topic.queue)["length"] == 1


@pytest.mark.parametrize("body", [b'{"publisher": "p", "data": {', b'{"publisher": "p",}', b"\xff\xfe{}",
                                  b"[1, 2]", b'"just a string"'])
def test_malformed_or_non_object_json_body_is_400(client, body):
    r = client.api("PUT", "/task", data=body, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "bad_request")


def test_error_shape_everywhere(client):
    cases = [
        client.api("GET", "/nope"),
        client.api("DELETE", "/task"),
        client.api("PUT", "/task", json={}),
        client.api("GET", "/task", params={"workerId": "w_unknown"}),
        client.api("GET", "/api/unknownAction"),
    ]
    for r in cases:
        assert 400 <= r.status < 500, r
        assert isinstance(r.body, dict) and isinstance(r.body.get("error"), dict), r
        assert set(r.body["error"]) >= {"code", "message"}, r
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", r.body["error"]["code"]), r
        assert len(r.body["error"]["message"]) > 10, r
        assert "Traceback" not in r.text and ".swift:" not in r.text, r
        assert_json_content_type(r)


def test_success_responses_are_json(client):
    topic = client.topic()
    w = client.register(topic.queue)
    for r in [
        client.api("GET", "/health"),
        client.api("GET", "/status"),
        client.api("PUT", "/task", json={"publisher": "p", "data": topic.data()}),
        client.api("GET", "/task", params={"workerId": w}),
        client.api("POST", "/worker", json={"workerId": w}),
        client.api("PUT", "/worker", json={"queues": [topic.queue]}),
        client.api("PUT", "/interest", json={"queue": topic.queue, "interests": {"t": f"^{topic.tag}$"}}),
    ]:
        assert 200 <= r.status < 300, r
        assert isinstance(r.body, dict), r
        assert_json_content_type(r)


# ------------------------------------------------------------------------------------- ids

def random_bits_estimate(ids):
    """Lower-bound-ish estimate of random bits per id from a sample created in quick succession:
    positions that vary across the sample times bits per character of the alphabet used."""
    stripped = [re.sub(r"^[A-Za-z]{1,4}_", "", i) for i in ids]
    chars = set("".join(stripped))
    alnum = {c for c in chars if c.isalnum()}
    if alnum <= set("0123456789abcdef") or alnum <= set("0123456789ABCDEF"):
        bits = 4
    elif alnum <= set("abcdefghijklmnopqrstuvwxyz234567") or alnum <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") \
            or alnum <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ") or alnum <= set("0123456789abcdefghjkmnpqrstvwxyz"):
        bits = 5
    elif alnum <= set("0123456789abcdefghijklmnopqrstuvwxyz") or alnum <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        bits = math.log2(36)
    else:
        bits = 6 if (chars - alnum) <= set("-_+/=") else math.log2(62)
    length = min(len(s) for s in stripped)
    varying = sum(1 for pos in range(length) if len({s[pos] for s in stripped}) > 1)
    return varying * bits


def assert_unguessable(ids, what):
    assert len(set(ids)) == len(ids), f"{what} ids repeat: {ids}"
    for i in ids:
        assert isinstance(i, str) and 16 <= len(i) <= 200, f"{what} id {i!r} is too short for 96 random bits"
    bits = random_bits_estimate(ids)
    assert bits >= 96, f"{what} ids look like they carry only ~{bits:.0f} random bits: {ids[:5]}"


def test_ids_are_opaque_and_unguessable(client):
    topic = client.topic()
    pubs, tasks = [], []
    for i in range(40):
        body = client.publish(topic.data(i=i), expect=201)
        pubs.append(body["id"])
        tasks.append(body["tasks"][0]["id"])
    workers = [client.register(topic.queue) for _ in range(40)]
    assert_unguessable(pubs, "publication")
    assert_unguessable(tasks, "task")
    assert_unguessable(workers, "worker")
    assert not (set(pubs) & set(tasks)) and not (set(tasks) & set(workers))


def test_neighbouring_ids_are_not_found(client):
    topic = client.topic()
    tid = client.publish_one(topic.data())
    last = tid[-1]
    guess = tid[:-1] + ("0" if last != "0" else "1")
    assert_error(client.api("GET", "/status", params={"task": guess}), 404, "task_not_found")


# ----------------------------------------------------------------------------------- names

@pytest.mark.parametrize("name_tail", ["A-z_0.9:x", "x" * 100])
def test_valid_queue_names(client, name_tail):
    tag = uid()
    name = (tag + name_tail)[:128]
    client.set_interest(name, {"t": f"^{tag}$"})
    assert client.publish({"t": tag}, expect=201)["tasks"][0]["queue"] == name
    w = client.register(name)
    assert client.lease(w)["queue"] == name
    assert client.queue_status(name)["name"] == name


def test_queue_name_of_128_chars_is_valid_and_129_is_not(client):
    tag = uid()
    ok = (tag * 10)[:128]
    bad = (tag * 10)[:129]
    client.set_interest(ok, {"t": f"^{tag}$"})
    r = client.api("PUT", "/interest", json={"queue": bad, "interests": {"t": "x"}})
    assert_error(r, 400, "bad_request", "queue")


@pytest.mark.parametrize("bad", ["", "has space", "sl/ash", "é", "a*b", "semi;colon", "new\nline", "tab\t"])
def test_invalid_queue_names_are_refused(client, bad):
    name = bad + uid() if bad else ""
    r = client.api("PUT", "/interest", json={"queue": name, "interests": {"t": "x"}})
    assert_error(r, 400, "bad_request", "queue")
    if name:
        assert name not in client.status(interests=True)["interests"]
