"""The README's walkthrough, driven through a Python client generated from openapi/openapi.json.

Run by tests/client/run, which generates the client (package `jobcraft_client`, on PYTHONPATH),
starts a server and passes JC_URL, JC_KEY and JC_SPEC. Every answer the client receives is
checked against the document as well: its status is listed for the operation, its content type
declared, its body valid against the declared schema (formats included), and the response
headers the document promises (`ETag`, `Location`) are there. The client's own models parse
each body too, so an answer that a typed client would reject fails here.
"""

import datetime
import json
import os
import re
import sys

import httpx
import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

from jobcraft_client import AuthenticatedClient
from jobcraft_client.api.accounts import (account_coverage, account_network, apply,
                                          coverage_overview, suggest)
from jobcraft_client.api.coverage import create_coverage, create_interaction
from jobcraft_client.api.crafted_jobs import (diff_tenure, export_diffs, find_crafted_job,
                                              list_crafting_revisions,
                                              list_organization_guardrails,
                                              list_post_succession, list_similar_crafters,
                                              record_crafting)
from jobcraft_client.api.organizations import (create_organization, find_organization,
                                               list_organization_posts)
from jobcraft_client.api.persons import create_person, list_person_tenures
from jobcraft_client.api.posts import create_post, list_post_tenures
from jobcraft_client.api.settings import create_affinity
from jobcraft_client.api.sync import find_synced, list_changes, sync_batch, upsert_synced
from jobcraft_client.api.tenures import create_tenure, find_tenure, update_tenure
from jobcraft_client.models import (AffinityRequest, ApplyRequest, BatchRequest,
                                    CoverageRequest, CraftingRequest, DiffKind,
                                    DiffResponse, DiffTenureFormat, InteractionRequest,
                                    JsonPatchOperation, OrganizationRequest, PersonRequest, PersonResponse,
                                    PostRequest, Problem, SuccessionResponse,
                                    SuggestionRequest, TenureRequest, UpsertSyncedBody)
from jobcraft_client.models.find_synced_entity import FindSyncedEntity
from jobcraft_client.models.upsert_synced_entity import UpsertSyncedEntity

SPEC = json.load(open(os.environ["JC_SPEC"]))
REPLAYED = "Idempotent-Replayed"
OPERATIONS = {}  # (method, compiled path) -> (template, operation)
for template, item in SPEC["paths"].items():
    pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
    for method, operation in item.items():
        OPERATIONS[(method.upper(), pattern)] = (template, operation)
exercised = set()


def documented(method, path):
    for (m, pattern), found in OPERATIONS.items():
        if m == method and pattern.match(path):
            return found
    raise AssertionError(f"{method} {path}: no operation in the document")


def schema_check(schema, value, where):
    root = dict(schema)
    root["components"] = SPEC["components"]
    errors = sorted(Draft202012Validator(root, format_checker=FormatChecker()).iter_errors(value),
                    key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise AssertionError(f"{where}: {first.message} at {list(first.absolute_path)}")


def check_answer(response: httpx.Response):
    """An httpx response hook: every answer against the document."""
    response.read()
    method, path = response.request.method, response.request.url.path
    template, operation = documented(method, path)
    where = f"{method} {path} -> {response.status_code}"
    answer = operation["responses"].get(str(response.status_code))
    assert answer is not None, f"{where}: status not in the document"
    exercised.add(operation["operationId"])
    content = answer.get("content", {})
    if response.status_code == 204 or not content:
        return
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    assert content_type in content, f"{where}: {content_type} not declared ({list(content)})"
    if content_type.endswith("json"):
        schema_check(content[content_type]["schema"], response.json(), where)
    for header in answer.get("headers", {}):
        if header != REPLAYED:
            assert header in response.headers, f"{where}: documented header {header} missing"


def ok(answer, status=None):
    """The parsed body of a successful answer (a typed model, never a problem)."""
    assert 200 <= answer.status_code < 300, f"{answer.status_code}: {answer.content[:500]!r}"
    if status is not None:
        assert answer.status_code == status, answer.status_code
    assert answer.parsed is not None and not isinstance(answer.parsed, Problem), answer.parsed
    return answer.parsed


def main():
    client = AuthenticatedClient(
        base_url=os.environ["JC_URL"],
        token=os.environ["JC_KEY"],
        raise_on_unexpected_status=True,
        httpx_args={"event_hooks": {"response": [check_answer]}},
    )
    call = lambda module, **kwargs: module.sync_detailed(client=client, **kwargs)  # noqa: E731

    # Organizations, posts with facets, persons, tenures.
    acme = ok(call(create_organization, body=OrganizationRequest.from_dict({
        "name": "Acme Insurance", "kind": "client",
        "profile": {"size_band": "enterprise", "industry": "insurance", "region": "dach",
                    "tags": ["iso14001"]}})), 201).id
    claims = ok(call(create_organization, body=OrganizationRequest.from_dict(
        {"name": "Acme Claims", "kind": "client", "parent_id": str(acme)}))).id
    assert ok(call(find_organization, id=claims)).parent_id == acme
    head = ok(call(create_post, body=PostRequest.from_dict({
        "organization_id": str(acme), "title": "Head of Procurement", "function": "procurement",
        "facets": [{"dimension": "decision_criterion", "key": "price", "weight": 0.9},
                   {"dimension": "task", "key": "supplier_audits", "weight": 0.6,
                    "core": True, "floor": 0.4}]}))).id
    person = lambda body: ok(call(create_person, body=PersonRequest.from_dict(body))).id  # noqa: E731
    tenure = lambda body: call(create_tenure, body=TenureRequest.from_dict(body))  # noqa: E731
    olga = person({"display_name": "Olga Berg", "emails": ["olga@acme.example"]})
    nina = person({"display_name": "Nina Roth"})
    t_olga = ok(tenure({"person_id": str(olga), "post_id": str(head),
                        "started_on": "2019-01-01", "ended_on": "2026-03-01"})).id
    t_nina = ok(tenure({"person_id": str(nina), "post_id": str(head),
                        "started_on": "2026-03-01"})).id
    cpo = ok(call(create_post, body=PostRequest.from_dict(
        {"organization_id": str(claims), "title": "Claims Director"}))).id
    ok(tenure({"person_id": str(olga), "post_id": str(cpo), "started_on": "2026-03-01"}))
    assert len(ok(call(list_person_tenures, id=olga)).items) == 2
    assert len(ok(call(list_post_tenures, id=head)).items) == 2
    ok(call(list_organization_posts, id=acme))
    ok(call(list_organization_posts, id=acme, as_of=datetime.date(2020, 6, 1)))
    conflict = tenure({"person_id": str(olga), "post_id": str(head), "started_on": "2026-06-01"})
    assert conflict.status_code == 409 and isinstance(conflict.parsed, Problem), conflict

    # A crafting revision each, a patch, reads as of and as known, diffs.
    craft = lambda t, body: ok(call(record_crafting, id=t,  # noqa: E731
                                    body=CraftingRequest.from_dict(body)), 201)
    craft(t_olga, {"source": "account plan 2024", "effective_at": "2024-01-01T00:00:00Z",
                   "facets": [{"dimension": "priority", "key": "cost_reduction", "weight": 1.0}]})
    craft(t_nina, {"source": "QBR 2026-09-01", "confidence": 0.8,
                   "effective_at": "2026-09-01T00:00:00Z",
                   "facets": [{"dimension": "decision_criterion", "key": "carbon_footprint",
                               "weight": 0.9},
                              {"dimension": "decision_criterion", "key": "price", "weight": 0.4},
                              {"dimension": "partner_preference", "key": "supplier_size_small",
                               "weight": 0.7},
                              {"dimension": "priority", "key": "sustainability", "weight": 0.8}]})
    craft(t_nina, {"mode": "patch", "source": "call",
                   "facets": [{"dimension": "task", "key": "supplier_audits", "weight": 0.1}]})
    ok(call(find_crafted_job, id=t_nina))
    ok(call(find_crafted_job, id=t_nina, as_of=datetime.date(2026, 10, 15)))
    ok(call(find_crafted_job, id=t_nina,
            known_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)))
    assert len(ok(call(list_crafting_revisions, id=t_nina)).items) == 2
    diff = ok(call(diff_tenure, id=t_nina))
    assert isinstance(diff, DiffResponse) and diff.changes, diff
    assert any(c.guardrail == "breached" for c in diff.changes), diff.changes
    ok(call(diff_tenure, id=t_nina, from_=datetime.date(2026, 10, 1),
            to=datetime.date(2026, 11, 30)))
    # The generated client parses the first content type it is given; the JSON Patch form
    # goes through its HTTP client, still checked against the document by the hook.
    patch = client.get_httpx_client().request(**diff_tenure._get_kwargs(
        id=t_nina, format_=DiffTenureFormat.JSON_PATCH))
    assert patch.status_code == 200 and patch.json(), patch.text
    [JsonPatchOperation.from_dict(op) for op in patch.json()]
    assert isinstance(ok(call(list_post_succession, id=head)), SuccessionResponse)
    ok(call(list_organization_guardrails, id=acme))
    ok(call(list_similar_crafters, id=nina))
    rows = ok(call(export_diffs, kind=DiffKind.FORMAL, organization_id=acme))
    assert rows.items, rows
    csv = client.get_httpx_client().request(**export_diffs._get_kwargs(
        kind=DiffKind.FORMAL, organization_id=acme), headers={"Accept": "text/csv"})
    assert csv.status_code == 200 and csv.text.count("\n") > 1, csv.text

    # Account coverage: our side, buying roles, coverage, the overview, suggestions.
    org = lambda body: ok(call(create_organization,  # noqa: E731
                               body=OrganizationRequest.from_dict(body))).id
    nw = org({"name": "Northwind", "kind": "own"})
    dach = org({"name": "Northwind DACH", "kind": "own", "parent_id": str(nw),
                "profile": {"size_band": "sme", "region": "dach", "tags": ["iso14001"]}})
    enterprise = org({"name": "Northwind Enterprise", "kind": "own", "parent_id": str(nw),
                      "profile": {"size_band": "enterprise", "region": "nordics"}})
    post = lambda body: ok(call(create_post, body=PostRequest.from_dict(body))).id  # noqa: E731
    ae_dach = post({"organization_id": str(dach), "title": "Account Executive"})
    ae_ent = post({"organization_id": str(enterprise), "title": "Account Executive"})
    carla = person({"display_name": "Carla Diaz"})
    max_ = person({"display_name": "Max Lind"})
    t_carla = ok(tenure({"person_id": str(carla), "post_id": str(ae_dach),
                         "started_on": "2023-01-01", "capacity": 20})).id
    t_max = ok(tenure({"person_id": str(max_), "post_id": str(ae_ent),
                       "started_on": "2023-01-01", "capacity": 20})).id
    craft(t_carla, {"facets": [
        {"dimension": "cognitive", "key": "client_success", "weight": 0.9},
        {"dimension": "cognitive", "key": "sustainability_champion", "weight": 0.8}]})
    craft(t_max, {"facets": [{"dimension": "cognitive", "key": "commission_first", "weight": 1.0},
                             {"dimension": "priority", "key": "growth", "weight": 0.9}]})
    ok(call(create_affinity, body=AffinityRequest.from_dict({
        "weight": 1.0, "from": {"dimension": "cognitive", "key": "sustainability_champion"},
        "to": {"dimension": "decision_criterion", "key": "carbon_footprint"}})), 201)
    t_olga_cpo = ok(call(list_post_tenures, id=cpo)).items[0].id
    ok(call(update_tenure, id=t_olga_cpo, body={"buying_roles": ["decision_maker"]}))
    # With the ETag the read gave: If-Match as documented.
    etag = call(find_tenure, id=t_nina).headers["ETag"]
    ok(call(update_tenure, id=t_nina, body={"buying_roles": ["economic_buyer"]}, if_match=etag))
    stale = call(update_tenure, id=t_nina, body={"buying_roles": []}, if_match=etag)
    assert stale.status_code == 412 and isinstance(stale.parsed, Problem), stale
    peter = person({"display_name": "Peter Falk"})
    claims_mgr = post({"organization_id": str(claims), "title": "Claims Manager",
                       "reports_to_post_id": str(cpo)})
    ok(tenure({"person_id": str(peter), "post_id": str(claims_mgr), "started_on": "2021-01-01",
               "ended_on": "2026-10-31", "buying_roles": ["champion"]}))
    globex = org({"name": "Globex", "kind": "client"})
    globex_buyer = post({"organization_id": str(globex), "title": "Head of Purchasing"})
    ok(tenure({"person_id": str(peter), "post_id": str(globex_buyer),
               "started_on": "2026-11-01"}))
    cover = lambda body: ok(call(create_coverage,  # noqa: E731
                                 body=CoverageRequest.from_dict(body)), 201)
    cover({"salesperson_id": str(max_), "stakeholder_id": str(olga), "role": "primary"})
    cover({"salesperson_id": str(max_), "stakeholder_id": str(peter), "role": "primary",
           "strength": 0.8})
    ok(call(create_interaction, body=InteractionRequest.from_dict({
        "salesperson_id": str(max_), "stakeholder_id": str(olga), "kind": "meeting",
        "occurred_at": "2026-10-14T10:00:00Z", "summary": "renewal"})), 201)
    report = ok(call(account_coverage, id=acme))
    assert report.alerts, report
    ok(call(account_network, id=acme))
    overview = ok(call(coverage_overview))
    assert len(overview.items) >= 2, overview
    suggestion = ok(call(suggest, id=acme, body=SuggestionRequest.from_dict(
        {"coverers_by_role": {"decision_maker": 2}})))
    assert any(p.salesperson_id == carla and p.stakeholder_id == nina for p in suggestion.pairs)
    ok(call(apply, id=acme, body=ApplyRequest.from_dict(
        {"pairs": [{"salesperson_id": str(carla), "stakeholder_id": str(nina)}]})))

    # A sync batch by external ids, replayed by its idempotency key; the change feed.
    feed = ok(call(list_changes, after="latest")).next_cursor
    batch = BatchRequest.from_dict({"operations": [
        {"op": "upsert", "entity": "organizations", "source": "salesforce", "external_id": "001X",
         "body": {"name": "Initech", "kind": "client"}},
        {"op": "upsert", "entity": "posts", "source": "salesforce", "external_id": "a0P1",
         "body": {"organization_id": {"source": "salesforce", "external_id": "001X"},
                  "title": "CFO"}},
        {"op": "upsert", "entity": "persons", "source": "salesforce", "external_id": "003A",
         "body": {"display_name": "Bill Lumbergh", "emails": ["bill@initech.example"]}},
        {"op": "upsert", "entity": "tenures", "source": "salesforce", "external_id": "a0T1",
         "body": {"person_id": {"source": "salesforce", "external_id": "003A"},
                  "post_id": {"source": "salesforce", "external_id": "a0P1"},
                  "started_on": "2025-01-01"}}]})
    first = call(sync_batch, body=batch, idempotency_key="import-2026-11-22",
                 x_jobcraft_origin="salesforce")
    assert len(ok(first).results) == 4
    again = call(sync_batch, body=batch, idempotency_key="import-2026-11-22",
                 x_jobcraft_origin="salesforce")
    assert again.headers.get(REPLAYED) == "true" and again.content == first.content
    bill = ok(call(find_synced, entity=FindSyncedEntity.PERSONS, source="salesforce",
                   external_id="003A"))
    assert isinstance(bill, PersonResponse) and bill.display_name == "Bill Lumbergh", bill
    ok(call(upsert_synced, entity=UpsertSyncedEntity.PERSONS, source="salesforce",
            external_id="003A", body=UpsertSyncedBody.from_dict({
                "display_name": "Bill Lumbergh", "emails": ["bill@initech.example"],
                "notes": "likes TPS reports"})), 200)
    changes = ok(call(list_changes, after=feed, exclude_origin="salesforce"))
    assert [(c.entity.value, c.operation.value) for c in changes.items] == \
        [("person", "update")], changes.to_dict()
    assert changes.items[0].id == bill.id

    missing = sorted({op["operationId"] for _, op in OPERATIONS.values()} - exercised)
    print(f"walkthrough: {len(exercised)} operations through the generated client, "
          f"every answer as documented ({len(missing)} operations not in the walkthrough)")


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, jsonschema.ValidationError) as failure:
        print(f"walkthrough failed: {failure}", file=sys.stderr)
        raise
