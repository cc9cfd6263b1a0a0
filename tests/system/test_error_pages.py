"""Refusals are the app's own pages (or JSON), with words a person understands."""


def test_a_403_is_the_app_s_page_with_a_plain_reason(marketer_client):
    response = marketer_client.get("/users")
    assert response.status_code == 403 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "<title>Forbidden · Mailroom</title>" in body and 'class="topbar"' in body
    assert "Your role does not allow this: it is for admins." in body
    assert "read-protected" not in body  # Werkzeug's text


def test_a_403_asked_for_as_json_is_json(marketer_client):
    response = marketer_client.get("/users", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json() == {"error": "Forbidden", "message": "Your role does not allow this: it is for admins. "
                                                                    "Ask an admin if you need it done."}


def test_a_form_without_its_csrf_token_gets_the_app_s_400_page(admin_client, marketer):
    response = admin_client.post(f"/users/{marketer}/active", data={"active": "0"}, csrf=False)
    assert response.status_code == 400 and response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "<title>Form expired · Mailroom</title>" in body and "Reload the page and try again." in body
    json = admin_client.post(f"/users/{marketer}/active", data={"active": "0"}, csrf=False,
                             headers={"Accept": "application/json"})
    assert json.status_code == 400 and json.get_json()["error"] == "Form expired"
