"""The Salesforce sandbox against the real ``simple_salesforce`` client, over HTTPS on 127.0.0.1.

Each login flow simple-salesforce offers (JWT bearer, client credentials, session id, SOAP
username/password), sObject Collections upserts and updates with their per-record results,
SOQL with IN lists, hostile literals and paging, describe, records, injected 401/403, the
``Sforce-Limit-Info`` header, stats, and state surviving a restart.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce, format_soql
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from plansync.sandbox.salesforce_app import (
    USERS,
    OrgAuth,
    SalesforceSandbox,
    login_domain,
    salesforce_id,
)
from plansync.sandbox.server import RunningServer, serve_in_thread
from plansync.sandbox.tls import LoopbackCertificate, make_loopback_certificate

UPSERT = "composite/sobjects/RFE__c/Plansync_Id__c"
JASON, PRIYA = USERS[0], USERS[3]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificate:
    return make_loopback_certificate(tmp_path_factory.mktemp("tls"))


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    """The connected app's key for the JWT bearer flow, made for these tests only."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Org:
    """A sandbox served over TLS, and clients for it."""

    def __init__(self, app: SalesforceSandbox, server: RunningServer, tls: LoopbackCertificate):
        self.app, self.server, self.tls = app, server, tls

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, token: str = "any-token") -> Salesforce:
        """Session id + instance URL: no login call."""
        return Salesforce(
            instance_url=self.url, session_id=token, session=self.tls.client_session()
        )

    def faults(self, config: dict[str, Any]) -> None:
        answer = self.tls.client_session().post(self.url + "/_sandbox/faults", json=config)
        assert answer.status_code == 200, answer.text


def serve(app: SalesforceSandbox, tls: LoopbackCertificate) -> RunningServer:
    return serve_in_thread(app, ssl_context=tls.server_context())


@pytest.fixture
def org(tls: LoopbackCertificate) -> Iterator[Org]:
    app = SalesforceSandbox()
    with serve(app, tls) as server:
        yield Org(app, server, tls)
    app.close()


def soap_login(server: RunningServer, tls: LoopbackCertificate) -> Salesforce:
    """Jason, by the legacy SOAP login (any password: the org sets none)."""
    return Salesforce(
        username=JASON.email,
        password="pw",
        security_token="",
        domain=login_domain(server.url),
        session=tls.client_session(),
    )


def rfe(plansync_id: str, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "RFE__c"}, "Plansync_Id__c": plansync_id, **fields}


def upsert(sf: Salesforce, records: list[dict[str, Any]], **body: Any) -> Any:
    return sf.restful(UPSERT, method="PATCH", json={"allOrNone": False, "records": records, **body})


# ---- logins ---------------------------------------------------------------------------------


def test_jwt_bearer_login_checks_the_signature_and_runs_as_the_subject(
    tls: LoopbackCertificate, rsa_key: rsa.RSAPrivateKey
) -> None:
    private = private_pem(rsa_key)
    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    auth = OrgAuth(consumer_key="plansync-app", jwt_public_key=public, accept_any_token=False)
    app = SalesforceSandbox(auth=auth)
    with serve(app, tls) as server:
        sf = Salesforce(
            username=PRIYA.email,
            consumer_key="plansync-app",
            privatekey=private,
            domain=login_domain(server.url),
            session=tls.client_session(),
        )
        assert sf.sf_instance == server.url.removeprefix("https://")
        [result] = upsert(sf, [rfe("p-1", Name="From Priya")])
        assert result["success"] and app.records("RFE__c")[0]["OwnerId"] == PRIYA.id

        wrong = private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        for kwargs, reason in [
            ({"privatekey": wrong, "consumer_key": "plansync-app"}, "bad signature"),
            ({"privatekey": private, "consumer_key": "someone-else"}, "client identifier"),
        ]:
            with pytest.raises(SalesforceAuthenticationFailed, match=reason):
                Salesforce(
                    username=PRIYA.email,
                    domain=login_domain(server.url),
                    session=tls.client_session(),
                    **kwargs,
                )
        with (
            pytest.raises(SalesforceAuthenticationFailed, match="approved"),
            pytest.warns(UserWarning, match="authorize this"),  # simple-salesforce's hint
        ):
            Salesforce(
                username="nobody@example.com",
                consumer_key="plansync-app",
                privatekey=private,
                domain=login_domain(server.url),
                session=tls.client_session(),
            )
    app.close()


def test_a_jwt_audience_other_than_a_login_server_is_refused_as_salesforce_does(
    tls: LoopbackCertificate, rsa_key: rsa.RSAPrivateKey
) -> None:
    """Salesforce takes https://login.salesforce.com or https://test.salesforce.com as the
    audience, wherever the assertion is posted; the URL it is posted to (the sandbox's, a My
    Domain's), what plansync's connector sent, was accepted here and refused there."""
    app = SalesforceSandbox(auth=OrgAuth(consumer_key="plansync-app"))
    with serve(app, tls) as server:

        def login(audience: str) -> requests.Response:
            claims = {"iss": "plansync-app", "sub": PRIYA.email, "aud": audience}
            assertion = jwt.encode(
                {**claims, "exp": int(time.time()) + 180}, private_pem(rsa_key), algorithm="RS256"
            )
            return tls.client_session().post(
                f"{server.url}/services/oauth2/token",
                data={
                    "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "assertion": assertion,
                },
            )

        for refused in (server.url, "https://acme.my.salesforce.com", "https://example.com"):
            answer = login(refused)
            assert answer.status_code == 400, refused
            assert answer.json() == {
                "error": "invalid_grant",
                "error_description": "audience is invalid",
            }
        for accepted in ("https://login.salesforce.com", "https://test.salesforce.com"):
            assert login(accepted).status_code == 200, accepted
    app.close()


def test_client_credentials_need_a_my_domain_and_the_right_secret(
    tls: LoopbackCertificate,
) -> None:
    app = SalesforceSandbox(auth=OrgAuth(consumer_key="key", consumer_secret="secret"))
    with serve(app, tls) as server:

        def login(domain: str, secret: str = "secret") -> Salesforce:
            return Salesforce(
                consumer_key="key",
                consumer_secret=secret,
                domain=login_domain(server.url, domain),
                session=tls.client_session(),
            )

        sf = login("plansync.my")
        assert sf.query("SELECT Id FROM RFE__c")["totalSize"] == 0
        with pytest.raises(SalesforceAuthenticationFailed, match="not supported on this domain"):
            login("login")
        with pytest.raises(SalesforceAuthenticationFailed, match="invalid client credentials"):
            login("plansync.my", secret="guess")
    app.close()


def test_session_id_and_instance_url_make_no_login_call(tls: LoopbackCertificate) -> None:
    """With ``accept_any_token`` off, only a token a login handed out is a session."""
    app = SalesforceSandbox(auth=OrgAuth(accept_any_token=False))
    with serve(app, tls) as server:
        org = Org(app, server, tls)
        with pytest.raises(SalesforceExpiredSession) as refused:
            org.client("made-up").query("SELECT Id FROM RFE__c")
        assert refused.value.content == [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ]
        login = soap_login(server, tls)
        sf = org.client(login.session_id)
        assert sf.query("SELECT Id FROM RFE__c")["done"] is True
        assert not [r for r in app.stats()["by_route"] if "oauth2" in r]
    app.close()


def test_soap_username_password_login(tls: LoopbackCertificate) -> None:
    """simple-salesforce's legacy flow: the password and security token, concatenated."""
    app = SalesforceSandbox(auth=OrgAuth(password="hunter2TOKEN", accept_any_token=False))
    with serve(app, tls) as server:

        def login(password: str, token: str, username: str = JASON.email) -> Salesforce:
            return Salesforce(
                username=username,
                password=password,
                security_token=token,
                domain=login_domain(server.url),
                session=tls.client_session(),
            )

        sf = login("hunter2", "TOKEN")
        assert sf.sf_instance == server.url.removeprefix("https://")
        assert sf.query("SELECT Id FROM User")["totalSize"] == len(USERS)
        for password, token, username in [
            ("hunter2", "WRONG", JASON.email),
            ("hunter2", "TOKEN", "stranger@example.com"),
        ]:
            with pytest.raises(SalesforceAuthenticationFailed, match="INVALID_LOGIN"):
                login(password, token, username)
        assert app.stats()["by_route"]["POST /services/Soap/u/{version}"] == 3
    app.close()


# ---- writes ------------------------------------------------------------------------------------


def test_upsert_creates_then_updates_by_external_id(org: Org) -> None:
    sf = org.client()
    first = upsert(sf, [rfe("p-1", Name="One", Priority__c="High"), rfe("p-2")])
    assert [(r["success"], r["created"], r["errors"]) for r in first] == [(True, True, [])] * 2
    assert first[0]["id"].startswith("a01") and len(first[0]["id"]) == 18

    again = upsert(sf, [rfe("p-1", Name="One, renamed", Due_Date__c="2025-03-01"), rfe("p-3")])
    assert again[0] == {"id": first[0]["id"], "success": True, "errors": [], "created": False}
    assert again[1]["created"] is True

    one = sf.RFE__c.get(first[0]["id"])
    assert one["attributes"] == {
        "type": "RFE__c",
        "url": f"/services/data/v59.0/sobjects/RFE__c/{first[0]['id']}",
    }
    assert (one["Name"], one["Priority__c"], one["Due_Date__c"]) == (
        "One, renamed",
        "High",
        "2025-03-01",
    )
    assert one["OwnerId"] == JASON.id and one["CreatedDate"].endswith("+0000")
    unnamed = sf.RFE__c.get(first[1]["id"])
    assert unnamed["Name"] == first[1]["id"]  # a custom object's Name defaults to its Id


def test_upsert_reports_each_record_on_its_own(org: Org) -> None:
    sf = org.client()
    results = upsert(
        sf,
        [
            rfe("ok", Priority__c="Low"),
            rfe("bad-priority", Priority__c="Urgent"),
            rfe("long", Name="x" * 81),
            rfe("long-in-utf-16", Name="x" * 79 + "🚀"),  # 80 characters, 81 UTF-16 units
            rfe("twice"),
            rfe("twice"),
            rfe("owner", OwnerId=salesforce_id("005", 999)),
            rfe("read-only", CreatedDate="2020-01-01T00:00:00.000+0000"),
            {"attributes": {"type": "RFE__c"}, "Name": "no external id"},
        ],
    )
    assert results[0]["success"] is True
    codes = [[(e["statusCode"], e["fields"]) for e in r["errors"]] for r in results[1:]]
    assert codes == [
        [("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["Priority__c"])],
        [("STRING_TOO_LONG", ["Name"])],
        [("STRING_TOO_LONG", ["Name"])],
        [("DUPLICATE_EXTERNAL_ID", ["Plansync_Id__c"])],
        [("DUPLICATE_EXTERNAL_ID", ["Plansync_Id__c"])],
        [("INVALID_CROSS_REFERENCE_KEY", ["OwnerId"])],
        [("INVALID_FIELD_FOR_INSERT_UPDATE", ["CreatedDate"])],
        [("MISSING_ARGUMENT", ["Plansync_Id__c"])],
    ]
    assert all("id" not in r for r in results[1:])
    assert [r["Plansync_Id__c"] for r in org.app.records("RFE__c")] == ["ok"]


def test_upsert_all_or_none_rolls_everything_back(org: Org) -> None:
    results = upsert(org.client(), [rfe("a"), rfe("b", Priority__c="?")], allOrNone=True)
    assert [e["statusCode"] for r in results for e in r["errors"]] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    ]
    assert org.app.records("RFE__c") == []


def test_upsert_of_an_external_id_on_several_records(org: Org) -> None:
    """Planted duplicates (a non-unique external id allows them): that record fails alone."""
    ids = org.app.add_records("RFE__c", [{"Plansync_Id__c": "dup"}, {"Plansync_Id__c": "dup"}])
    [dup, fine] = upsert(org.client(), [rfe("dup", Name="?"), rfe("fine")])
    [error] = dup["errors"]
    assert error["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    assert all(record_id in error["message"] for record_id in ids)
    assert fine["success"] is True


def test_whole_request_errors_are_400s(org: Org) -> None:
    sf = org.client()
    cases: list[tuple[list[dict[str, Any]], str]] = [
        ([rfe(f"p-{n}") for n in range(201)], "EXCEEDED_ID_LIMIT"),
        ([rfe("p", Nope__c="x")], "INVALID_FIELD"),
        ([rfe("p", Due_Date__c="31/12/2025")], "JSON_PARSER_ERROR"),
        ([{"Plansync_Id__c": "no attributes"}], "INVALID_TYPE"),
    ]
    for records, code in cases:
        with pytest.raises(SalesforceMalformedRequest) as error:
            upsert(sf, records)
        assert error.value.content[0]["errorCode"] == code
    assert len(upsert(sf, [rfe(f"p-{n}") for n in range(200)])) == 200
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("composite/sobjects/RFE__c/Nope__c", method="PATCH", json={"records": []})


def test_update_by_id_never_creates(org: Org) -> None:
    sf = org.client()
    [created] = upsert(sf, [rfe("p-1", Status__c="New")])
    gone = upsert(sf, [rfe("p-2")])[0]["id"]
    sf.RFE__c.delete(gone)
    results = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "RFE__c"}, "id": created["id"], "Status__c": "Done"},
                {"attributes": {"type": "RFE__c"}, "id": gone, "Status__c": "Done"},
                {"attributes": {"type": "RFE__c"}, "id": JASON.id, "Status__c": "Done"},
            ],
        },
    )
    assert results[0] == {"id": created["id"], "success": True, "errors": []}
    assert [r["errors"][0]["statusCode"] for r in results[1:]] == [
        "ENTITY_IS_DELETED",
        "MALFORMED_ID",
    ]
    assert [r["Status__c"] for r in org.app.records("RFE__c")] == ["Done"]
    with pytest.raises(SalesforceResourceNotFound) as error:
        sf.RFE__c.get(gone)
    assert error.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_one_record_is_updated_by_id_as_a_person_editing_it_in_the_org_does(org: Org) -> None:
    """simple-salesforce's ``sf.RFE__c.update(id, {...})``, the way to try a remote edit on a
    synced record: it was answered 405, which only the composite route plansync uses was not."""
    sf = org.client()
    [created] = upsert(sf, [rfe("p-1", Name="One", Status__c="New")])
    assert sf.RFE__c.update(created["id"], {"Name": "Edited", "Status__c": "Done"}) == 204
    one = sf.RFE__c.get(created["id"])
    assert (one["Name"], one["Status__c"], one["Plansync_Id__c"]) == ("Edited", "Done", "p-1")
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.RFE__c.update(created["id"], {"Nope__c": "x"})
    assert unknown.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as locked:
        sf.RFE__c.update(created["id"], {"CreatedDate": "2025-01-01T00:00:00.000+0000"})
    assert locked.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    sf.RFE__c.delete(created["id"])
    with pytest.raises(SalesforceResourceNotFound) as gone:
        sf.RFE__c.update(created["id"], {"Name": "Again"})
    assert gone.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


# ---- reads ---------------------------------------------------------------------------------------


HOSTILE = ["it's", "back\\slash", "' OR Name != '", "\\' OR Name != \\'", 'quo"te', "x'); --"]


@pytest.mark.parametrize("json_functions", [True, False], ids=["picked-in-sqlite", "all-decoded"])
def test_query_in_lists_match_hostile_strings_exactly(org: Org, json_functions: bool) -> None:
    """Records are picked by their external id in SQLite where it has JSON functions, and all
    decoded and matched where it has not: the answers are the same, exact to the character."""
    org.app._store._json_functions = json_functions
    sf = org.client()
    upsert(sf, [rfe(value, Name=f"n{n}") for n, value in enumerate([*HOSTILE, "plain"])])
    for value in HOSTILE:
        soql = format_soql("SELECT Plansync_Id__c FROM RFE__c WHERE Plansync_Id__c = {}", value)
        assert [r["Plansync_Id__c"] for r in sf.query(soql)["records"]] == [value]
    soql = format_soql(
        "SELECT Name, Plansync_Id__c FROM RFE__c WHERE Plansync_Id__c IN {ids} ORDER BY Name DESC",
        ids=["plain", "' OR Name != '", "missing", "PLAIN"],
    )
    rows = sf.query(soql)["records"]
    assert [(r["Name"], r["Plansync_Id__c"]) for r in rows] == [
        ("n6", "plain"),
        ("n2", "' OR Name != '"),
    ]
    assert list(rows[0]) == ["attributes", "Name", "Plansync_Id__c"]


def test_query_users_by_email_ignores_case(org: Org) -> None:
    soql = format_soql(
        "SELECT Id, Email, Name FROM User WHERE Email IN {} AND IsActive = true",
        ["PRIYA@example.com", "jason@example.com"],
    )
    rows = org.client().query(soql)["records"]
    assert sorted((r["Name"], r["Id"]) for r in rows) == [
        ("Jason Vallery", JASON.id),
        ("Priya Raman", PRIYA.id),
    ]


@pytest.mark.parametrize(
    "soql, code, words",
    [
        ("SELECT Id FROM RFE__c WHERE", "MALFORMED_QUERY", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM RFE__c WHERE Name = 'a\\d'", "MALFORMED_QUERY", "Illegal character"),
        ("SELECT Id FROM RFE__c WHERE Name = 'open", "MALFORMED_QUERY", "no viable alternative"),
        ("SELECT Id FROM RFE__c WHERE Name LIKE 'a%'", "MALFORMED_QUERY", "sandbox supports"),
        ("SELECT Id FROM RFE__c WHERE Name = 'a' OR Name = 'b'", "MALFORMED_QUERY", "OR"),
        ("SELECT Nope__c FROM RFE__c", "INVALID_FIELD", "No such column 'Nope__c'"),
        ("SELECT Id FROM Nope__c", "INVALID_TYPE", "sObject type 'Nope__c'"),
        (
            "SELECT Id FROM RFE__c WHERE Due_Date__c = '2025-01-01'",
            "INVALID_QUERY_FILTER_OPERATOR",
            "must be of type date",
        ),
        ("SELECT Id FROM RFE__c WHERE Name = 5", "INVALID_QUERY_FILTER_OPERATOR", "quotes"),
    ],
)
def test_query_errors(org: Org, soql: str, code: str, words: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as error:
        org.client().query(soql)
    [answer] = error.value.content
    assert answer["errorCode"] == code and words in answer["message"]
    assert "ERROR at Row:1:Column:" in answer["message"]


def test_query_pages_past_2000_records(org: Org) -> None:
    org.app.add_records("Feature__c", [{"Plansync_Id__c": f"f-{n:04d}"} for n in range(2300)])
    sf = org.client()
    first = sf.query("SELECT Id, Plansync_Id__c FROM Feature__c ORDER BY Plansync_Id__c")
    assert (first["totalSize"], first["done"], len(first["records"])) == (2300, False, 2000)
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    everything = sf.query_all("SELECT Plansync_Id__c FROM Feature__c ORDER BY Plansync_Id__c")
    assert [r["Plansync_Id__c"] for r in everything["records"]] == [
        f"f-{n:04d}" for n in range(2300)
    ]
    limited = sf.query("SELECT Id FROM Feature__c LIMIT 5 OFFSET 2298")
    assert (limited["totalSize"], limited["done"]) == (2, True)


def test_an_object_keeps_its_key_prefix_whatever_objects_are_named_beside_it_later(
    tmp_path: Path,
) -> None:
    """The embedded sandbox makes the objects a config's rules write to; a record's Id begins
    with its object's prefix, so the prefix is the database's, not the order of a run."""
    db = tmp_path / "salesforce.db"
    first = SalesforceSandbox(db, objects=["RFE__c", "Feature__c", "Escalation__c"])
    [made] = first.add_records("Escalation__c", [{"Plansync_Id__c": "ps-a"}])
    assert made.startswith("a03")
    first.close()

    again = SalesforceSandbox(db, objects=["Account_Plan__c", "RFE__c"])
    assert [r["Id"] for r in again.records("Escalation__c")] == [made]  # by its records
    [plan] = again.add_records("Account_Plan__c", [{"Plansync_Id__c": "ps-b"}])
    [rfe] = again.add_records("RFE__c", [{"Plansync_Id__c": "ps-c"}])
    assert (plan[:3], rfe[:3]) == ("a04", "a01")
    again.close()

    dry = SalesforceSandbox(db, objects=["Risk__c"], dry_run=True)
    assert dry.records("Risk__c") == []
    dry.close()
    later = SalesforceSandbox(db, objects=["Other__c"])
    [other] = later.add_records("Other__c", [{"Plansync_Id__c": "ps-d"}])
    assert other.startswith("a05")  # Risk__c was never stored
    later.close()


def test_describe_and_versions(org: Org) -> None:
    sf = org.client()
    describe = sf.RFE__c.describe()
    fields = {f["name"]: f for f in describe["fields"]}
    assert (describe["name"], describe["keyPrefix"]) == ("RFE__c", "a01")
    assert fields["Plansync_Id__c"]["externalId"] and fields["Plansync_Id__c"]["unique"]
    assert [p["value"] for p in fields["Priority__c"]["picklistValues"]] == [
        "Highest",
        "High",
        "Medium",
        "Low",
        "Lowest",
    ]
    assert fields["Priority__c"]["restrictedPicklist"] is True
    assert fields["OwnerId"]["referenceTo"] == ["User"]
    assert sf.Feature__c.describe()["keyPrefix"] == "a02"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Nope__c.describe()
    versions = org.tls.client_session().get(org.url + "/services/data/").json()
    assert versions[-1] == {
        "label": "Winter '24",
        "url": "/services/data/v59.0",
        "version": "59.0",
    }


# ---- limits, faults, stats -----------------------------------------------------------------------


def test_every_answer_carries_the_api_usage(org: Org) -> None:
    sf = org.client()
    sf.query("SELECT Id FROM RFE__c")
    sf.query("SELECT Id FROM RFE__c")
    assert sf.api_usage["api-usage"].used == 2
    assert sf.api_usage["api-usage"].total == 15000


def test_request_limit_exceeded(tls: LoopbackCertificate) -> None:
    app = SalesforceSandbox(api_limit=2)
    with serve(app, tls) as server:
        sf = Org(app, server, tls).client()
        sf.query("SELECT Id FROM RFE__c")
        sf.query("SELECT Id FROM RFE__c")
        with pytest.raises(SalesforceRefusedRequest) as error:
            sf.query("SELECT Id FROM RFE__c")
        assert error.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    app.close()


def test_injected_403_and_503(org: Org) -> None:
    org.faults(
        {
            "fail_next": [
                {"status": 403, "error_code": "REQUEST_LIMIT_EXCEEDED", "path_contains": "query"},
                {"status": 503, "retry_after": 3},
            ]
        }
    )
    sf = org.client()
    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM RFE__c")
    assert refused.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    answer = org.tls.client_session().get(
        org.url + "/services/data/v59.0/query", params={"q": "SELECT Id FROM RFE__c"}
    )
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "3"
    assert answer.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert answer.headers["Sforce-Limit-Info"] == "api-usage=2/15000"


def test_expired_session_401(tls: LoopbackCertificate, rsa_key: rsa.RSAPrivateKey) -> None:
    """A session id cannot be renewed: the 401 reaches the caller. A login flow logs in again."""
    app = SalesforceSandbox()
    with serve(app, tls) as server:
        org = Org(app, server, tls)
        org.faults({"fail_next": [{"status": 401, "error_code": "INVALID_SESSION_ID"}]})
        with pytest.raises(SalesforceExpiredSession):
            org.client().query("SELECT Id FROM RFE__c")

        sf = Salesforce(
            username=JASON.email,
            consumer_key="any",
            privatekey=private_pem(rsa_key),
            domain=login_domain(server.url),
            session=tls.client_session(),
        )
        org.faults({"fail_next": [{"status": 401, "path_contains": "/query"}]})
        app.reset_stats()
        assert sf.query("SELECT Id FROM RFE__c")["done"] is True
        assert app.stats()["by_route"] == {
            "GET /services/data/v59.0/query": 2,
            "POST /services/oauth2/token": 1,
        }
    app.close()


def test_a_per_record_fault_refuses_the_records_it_names_for_count_requests(org: Org) -> None:
    """A row lock another transaction holds: the named records are refused with
    UNABLE_TO_LOCK_ROW and not saved, in each of the next ``count`` writes that hold them, while
    the rest of each write is saved; with ``committed``, saved yet answered refused."""
    org.faults(
        {
            "fail_next": [
                {"records": ["p-1"], "count": 2},
                {"records": ["p-3"], "committed": True},
            ]
        }
    )
    sf = org.client()
    locked = {
        "statusCode": "UNABLE_TO_LOCK_ROW",
        "message": "unable to obtain exclusive access to this record",
        "fields": [],
    }
    first = upsert(sf, [rfe("p-1"), rfe("p-2"), rfe("p-3")])
    assert [r["success"] for r in first] == [False, True, False]
    assert first[0]["errors"] == first[2]["errors"] == [locked]
    assert sorted(r["Plansync_Id__c"] for r in org.app.records("RFE__c")) == ["p-2", "p-3"]
    assert upsert(sf, [rfe("p-4")])[0]["success"]  # holds none of them: not counted
    second = upsert(sf, [rfe("p-1"), rfe("p-3")])
    assert [r["success"] for r in second] == [False, True] and second[1]["created"] is False
    [third] = upsert(sf, [rfe("p-1")])
    assert third["success"] and third["created"]
    assert len(org.app.records("RFE__c")) == 4

    org.faults({"fail_next": [{"records": [third["id"]], "error_code": "ENTITY_IS_LOCKED"}]})
    change = {"attributes": {"type": "RFE__c"}, "id": third["id"], "Name": "renamed"}
    [refused] = sf.restful("composite/sobjects", method="PATCH", json={"records": [change]})
    assert refused["errors"][0]["statusCode"] == "ENTITY_IS_LOCKED"
    [updated] = sf.restful("composite/sobjects", method="PATCH", json={"records": [change]})
    assert updated["success"] and sf.RFE__c.get(third["id"])["Name"] == "renamed"


def test_faults_and_stats_endpoints(org: Org) -> None:
    session = org.tls.client_session()
    bad = session.post(org.url + "/_sandbox/faults", json={"rate_429": 0.5})
    assert bad.status_code == 400 and "rate_429" in bad.json()[0]["message"]
    org.faults({"latency_ms": 1, "fail_next": [{"drop": True, "path_contains": "composite"}]})
    snapshot = session.get(org.url + "/_sandbox/faults").json()
    assert snapshot["rate_403"] == 0 and snapshot["fail_next"][0]["drop"] == "before_commit"
    sf = org.client()
    with pytest.raises(requests.ConnectionError):
        upsert(sf, [rfe("lost")])
    assert org.app.records("RFE__c") == []
    upsert(sf, [rfe("kept")])
    stats = session.get(org.url + "/_sandbox/stats").json()
    assert stats == {
        "total": 2,
        "by_route": {
            "PATCH /services/data/v59.0/composite/sobjects/{sobject}/{externalIdField}": 2
        },
    }
    dump = session.get(org.url + "/_sandbox/records").json()
    assert [r["Plansync_Id__c"] for r in dump["RFE__c"]] == ["kept"] and dump["Feature__c"] == []
    assert session.post(org.url + "/_sandbox/reset-stats").status_code == 204
    assert org.app.stats()["total"] == 0


def test_state_survives_a_restart(tmp_path: Path, tls: LoopbackCertificate) -> None:
    db = tmp_path / "salesforce.db"
    app = SalesforceSandbox(db, auth=OrgAuth(accept_any_token=False))
    with serve(app, tls) as server:
        login = soap_login(server, tls)
        [created] = upsert(Org(app, server, tls).client(login.session_id), [rfe("p-1")])
    app.close()

    again = SalesforceSandbox(db, auth=OrgAuth(accept_any_token=False))
    with serve(again, tls) as server:
        sf = Org(again, server, tls).client(login.session_id)  # the session survives too
        assert sf.RFE__c.get(created["id"])["Plansync_Id__c"] == "p-1"
        [second] = upsert(sf, [rfe("p-2")])
        assert second["id"] > created["id"]
    again.close()
