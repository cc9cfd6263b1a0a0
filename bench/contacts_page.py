"""contacts_page_ms: median ms of GET /contacts?q=… (logged in) over a million contacts (slower backend)."""
import statistics
import time

from bench._audience import app_with_schema, measure

CONTACTS = 1_000_000
REQUESTS = 30
# A first name, a company, a domain and a last name: each search path, and broad and narrow result sets;
# a substring and two words in any order (the trigram index);
# then the other sort orders, alone and with a search (each walks its (column, id) index).
SEARCHES = ["/contacts?q=mar", "/contacts?q=globex", "/contacts?q=%40proton", "/contacts?q=lovelace&status=active",
            "/contacts?q=ovelac", "/contacts?q=lovelace+grace",
            "/contacts?sort=status&dir=asc", "/contacts?sort=company&dir=desc", "/contacts?q=globex&sort=status&dir=desc",
            "/contacts?q=lovelace&sort=name&dir=asc"]


def run_in_child():
    from webapp.audience.seed import seed_demo
    from webapp.auth.service import create_user

    app = app_with_schema()
    with app.app_context():
        seed_demo(CONTACTS)
        user_id = create_user("bench@example.com", "correct horse battery", role="marketer").id
    from tests.clients import MailroomClient

    app.test_client_class = MailroomClient
    client = app.test_client()
    client.log_in(user_id)
    times = []
    for n in range(REQUESTS + len(SEARCHES)):
        url = SEARCHES[n % len(SEARCHES)]
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        if n >= len(SEARCHES):  # the first round warms caches
            times.append(elapsed * 1000)
    for url in SEARCHES:
        print(f"# {url}: {statistics.median(times[SEARCHES.index(url)::len(SEARCHES)]):.1f} ms")
    print(f"contacts_page_ms: {statistics.median(times):.1f}")


def main():
    measure("bench.contacts_page:run_in_child", "contacts_page_ms")


if __name__ == "__main__":
    main()
