"""/healthz says whether the database, Redis and a worker answer; an unknown page is a plain 404."""


def test_healthz_reports_degraded_without_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"]["ok"] and body["redis"]["ok"]
    assert body["workers"] == {"ok": False, "count": 0, "error": "no RQ worker is running"}


def test_healthz_ok_with_a_worker(client, worker):
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["workers"]["count"] >= 1


def test_unknown_page_is_a_clear_404(admin_client):
    response = admin_client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Not Found" in response.data
