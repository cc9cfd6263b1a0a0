"""New passwords are checked by zxcvbn wherever one is chosen: set-up, an invite link, the
account page, an admin adding a user with a password."""
import re

import pytest

from tests.factories import PASSWORD
from webapp.auth.passwords import weakness

WEAK = [
    pytest.param("password1234", "very common password", id="common"),
    pytest.param("zxcvbnm,./asdf", "rows of keys", id="keyboard-row"),
    pytest.param("abcabcabcabc", "Repeats", id="repeats"),
]


@pytest.mark.parametrize("password, reason", WEAK)
def test_common_and_patterned_passwords_are_weak_with_the_reason(password, reason):
    problem = weakness(password)
    assert problem.startswith("This password is too easy to guess.") and reason in problem


def test_a_password_made_of_the_person_s_own_name_or_email_is_weak():
    assert weakness("lovelace.ada!") is None
    assert weakness("lovelace.ada!", ["ada.lovelace@example.com", "Ada Lovelace"]) is not None


def test_long_unusual_passphrases_pass_and_a_huge_one_is_checked_quickly():
    assert weakness("correct horse battery") is None
    assert weakness("correct horse battery " + "x" * 100_000) is None


def test_setup_refuses_a_common_password(client, app):
    response = client.post("/setup", data={"name": "Ada", "email": "ada@example.com",
                                           "password": "password1234", "confirm": "password1234"})
    assert response.status_code == 422
    assert "This password is too easy to guess. This is a very common password." in response.get_data(as_text=True)
    assert client.get("/setup").status_code == 200  # no admin was made


def test_an_invite_link_refuses_a_password_made_of_the_invitee_s_name(admin_client, app, smtp_catcher):
    body = admin_client.post("/users", data={"email": "ada@example.com", "name": "Ada Lovelace", "role": "marketer"},
                             htmx=True).get_data(as_text=True)
    path = "/invite/" + re.search(r'/invite/([^"]+)"', body).group(1)
    invitee = app.test_client()
    refused = invitee.post(path, data={"password": "lovelace.ada!", "confirm": "lovelace.ada!"})
    assert refused.status_code == 422 and "too easy to guess" in refused.get_data(as_text=True)
    assert invitee.post(path, data={"password": "my own password", "confirm": "my own password"}).status_code == 303


def test_changing_one_s_password_refuses_a_common_one(marketer_client):
    response = marketer_client.post("/account", data={"current_password": PASSWORD, "password": "iloveyou1234",
                                                      "confirm": "iloveyou1234"}, htmx=True)
    assert response.status_code == 422 and "too easy to guess" in response.get_data(as_text=True)


def test_an_admin_cannot_give_a_new_user_a_common_password(admin_client):
    response = admin_client.post("/users", data={"email": "new@example.com", "role": "marketer", "password": "password1234"},
                                 htmx=True)
    assert response.status_code == 422 and "too easy to guess" in response.get_data(as_text=True)
