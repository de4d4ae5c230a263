"""The API against its own published document: schemathesis generates requests for every
operation of /api/v1/openapi.json from the schema, sends them to the app (WSGI, in process, on
the test database) with a token of a user who holds every center role, and checks each
answer: no server error, and a body and content type that match what the document promises.

One test per operation (a new endpoint is fuzzed without anyone writing a test for it), a
bounded number of seeded examples each, so that CI is fast and a failure repeats.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from ninja import Schema
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from hotline.orgs.models import Membership, Role
from hotline.orgs.services import issue_token
from hotline.wsgi import application

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
EXAMPLES = 8

# The document is read from the app itself, as a client would (no database needed for it).
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def test_the_document_lists_every_operation():
    assert len(OPERATIONS) > 80


@pytest.fixture
def all_roles_token(province, settings):
    settings.API_RATE_PER_TOKEN = settings.API_RATE_PER_ADDRESS = "off"
    user = province.users["fz_agent"]
    for role in (Role.DISPATCHER, Role.REVIEWER, Role.CALLBACK, Role.SUPERVISOR, Role.ADMIN):
        Membership.objects.create(user=user, unit=province.units["fz"], role=role)
    return issue_token(user=user, name="fuzz")[1]


@pytest.fixture
def in_process():
    # As Django's test client does: a request must not close the test's open transaction.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_every_operation_answers_within_its_schema(operation, all_roles_token, in_process):
    headers = {"Authorization": f"Bearer {all_roles_token}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_no_two_api_schemas_share_a_name():
    # The OpenAPI document keys schemas by class name: a second class of the same name silently
    # replaces the first, and every response using it is documented wrongly (issue 18 found
    # UnitOut of routing in place of the tickets' UnitOut).
    seen: dict[str, set[str]] = {}
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("hotline."):
            seen.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}


def test_the_ticket_unit_is_documented_as_the_ticket_unit():
    units = SCHEMA.raw_schema["components"]["schemas"]["UnitOut"]
    assert set(units["properties"]) == {"code", "name"}
