"""The Outbox holds every mail Mailroom sent, invitations with their set-password links among them: admins only."""
import pytest


@pytest.mark.parametrize("request_", [("get", "/outbox/"), ("get", "/outbox/some-key"), ("get", "/outbox/some-key/html"),
                                      ("post", "/outbox/clear")])
def test_a_marketer_can_neither_read_nor_empty_the_outbox(marketer_client, request_):
    method, path = request_

    response = getattr(marketer_client, method)(path)

    assert response.status_code == 403


def test_an_admin_reads_the_outbox_and_marketers_get_no_link(admin_client, marketer_client):
    assert admin_client.get("/outbox/").status_code == 200
    assert 'href="/outbox/"' in admin_client.get("/").get_data(as_text=True)
    assert 'href="/outbox/"' not in marketer_client.get("/").get_data(as_text=True)
