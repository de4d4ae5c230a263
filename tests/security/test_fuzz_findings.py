"""What the first fuzzing run found (issue 18), pinned as plain tests."""

from tests.api.helpers import assert_error, post


def test_notification_ids_beyond_64_bits_are_bad_input_not_a_server_error(client, province):
    # given a signed-in user
    client.force_login(province.users["fz_agent"])
    # when a client marks an id past the database's 64-bit keys as read
    response = post(client, "/notifications/read", {"ids": [2**64]})
    # then it is refused as invalid input, naming the field
    body = assert_error(response, 422, code="validation_error")
    assert body["field"].startswith("ids")


def test_the_largest_64_bit_id_is_accepted(client, province):
    client.force_login(province.users["fz_agent"])
    response = post(client, "/notifications/read", {"ids": [2**63 - 1]})
    assert response.status_code == 200
    assert response.json() == {"unread": 0}


def test_an_unknown_api_path_is_json_404_for_a_post_too(client, province):
    # a path the router cannot match (a negative id) falls to the catch-all, never to
    # Django's HTML CSRF page
    response = client.post(
        "/api/v1/calls/callbacks/-1/outcome", {}, content_type="application/json"
    )
    assert_error(response, 404, code="not_found")
