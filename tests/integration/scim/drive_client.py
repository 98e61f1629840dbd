"""Drives Tenure's SCIM endpoint with a real SCIM client library (scim2-client
from PyPI): discovery, create, look up by filter, read, replace, patch
(deactivate, reactivate), paging, groups with members, the errors a client
sees, and delete. Prints one JSON line per step; exits non-zero on the
first failure.

Usage: python drive_client.py BASE_URL TOKEN   (BASE_URL ends in /scim/v2)
"""

import json
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    PatchOp,
    PatchOperation,
    SCIMException,
    SearchRequest,
)


def step(name, **detail):
    print(json.dumps({"step": name, **detail}), flush=True)


def main(base, token):
    http = Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
    scim = SyncSCIMClient(http)
    scim.discover()
    step("discovered", resource_types=[t.id for t in scim.provider.resource_types or []])
    UserModel = scim.get_resource_model("User")
    GroupModel = scim.get_resource_model("Group")

    # Okta and Entra look a user up before they create it.
    found = scim.query(UserModel, query_parameters=SearchRequest(filter='userName eq "carol@example.com"'))
    assert found.total_results == 0, found
    created = scim.create(
        UserModel(
            user_name="carol@example.com",
            external_id="okta-00u1",
            active=True,
            emails=[{"value": "carol@example.com", "primary": True, "type": "work"}],
        )
    )
    assert created.id and created.meta.version, created
    step("created", id=created.id, version=created.meta.version)

    found = scim.query(UserModel, query_parameters=SearchRequest(filter='userName eq "CAROL@example.com"'))
    assert found.total_results == 1 and found.resources[0].id == created.id, found
    by_email = scim.query(UserModel, query_parameters=SearchRequest(filter='emails.value eq "carol@example.com"'))
    assert by_email.total_results == 1, by_email
    read = scim.query(UserModel, created.id)
    assert read.user_name == "carol@example.com" and read.active is True, read

    # Replace (PUT), then deactivate and reactivate (PATCH).
    read.display_name = "Carol"
    replaced = scim.replace(read)
    assert replaced.display_name == "Carol" and replaced.meta.version != created.meta.version
    step("replaced", version=replaced.meta.version)
    off = scim.modify(
        UserModel,
        created.id,
        PatchOp[UserModel](operations=[PatchOperation[UserModel](op="replace", path="active", value=False)]),
    )
    assert off is None or off.active is False, off
    assert scim.query(UserModel, created.id).active is False
    step("deactivated", id=created.id)
    on = scim.modify(
        UserModel,
        created.id,
        PatchOp[UserModel](operations=[PatchOperation[UserModel](op="replace", path="active", value=True)]),
    )
    assert on is None or on.active is True, on
    step("reactivated", id=created.id)

    # A second user, paging over both.
    second = scim.create(UserModel(user_name="dave@example.com"))
    page = scim.query(UserModel, query_parameters=SearchRequest(start_index=2, count=1))
    assert page.total_results == 2 and page.items_per_page == 1 and page.start_index == 2, page
    assert page.resources[0].id == second.id, page
    step("paged", total=page.total_results)

    # Groups with members.
    group = scim.create(GroupModel(display_name="payments-owners", members=[{"value": created.id}]))
    added = scim.modify(
        GroupModel,
        group.id,
        PatchOp[GroupModel](
            operations=[PatchOperation[GroupModel](op="add", path="members", value=[{"value": second.id}])]
        ),
    )
    members = {m.value for m in scim.query(GroupModel, group.id).members or []}
    assert members == {created.id, second.id}, members
    scim.modify(
        GroupModel,
        group.id,
        PatchOp[GroupModel](
            operations=[PatchOperation[GroupModel](op="remove", path=f'members[value eq "{created.id}"]')]
        ),
    )
    members = {m.value for m in scim.query(GroupModel, group.id).members or []}
    assert members == {second.id}, members
    step("group", id=group.id, members=sorted(members), patched=added is not None)

    # The errors a client sees, as SCIM errors.
    errors = {}
    for name, call in [
        ("duplicate", lambda: scim.create(UserModel(user_name="carol@example.com"))),
        ("unknown", lambda: scim.query(UserModel, "00000000-0000-0000-0000-000000000000")),
        ("bad_filter", lambda: scim.query(UserModel, query_parameters=SearchRequest(filter='userName co "carol"'))),
    ]:
        try:
            call()
            raise AssertionError(f"{name}: no error")
        except SCIMException as exc:
            error = exc.to_error()
            errors[name] = [error.status, error.scim_type]
    step("errors", **errors)

    scim.delete(UserModel, second.id)
    remaining = scim.query(UserModel)
    assert remaining.total_results == 1, remaining
    step("deleted", id=second.id)
    step("done")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
