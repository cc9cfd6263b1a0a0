"""The reports on PostgreSQL: one mass email of 1,000,000 recipients and 3,000,000 events, among 200 others.

list_page_ms: median ms of GET /mass-emails in the Account scope, newest first and sorted by a counter (Unique Opens).
detail_page_ms: median ms of GET /mass-emails/<id> (cards, charts, first table page).
card_switch_ms: median ms of a sub-card swap (Unique Opens, Likely Bot) half a million rows deep, by each sort.
export_1m_s: seconds to stream the CSV of all 1,000,000 recipients.
"""
import statistics
import subprocess
import sys
import time

from bench._audience import ROOT, _postgres_admin_url, app_with_schema, fresh_database

RECIPIENTS = 1_000_000
EVENTS = 3_000_000
REQUESTS = 15

SEED = """
INSERT INTO recipients (mass_email_id, email, status, attempts, open_count, click_count, sent_at, status_changed_at,
                        delivered_at, first_opened_at, first_clicked_at, human_at, bounce_kind, smtp_reply)
SELECT :me, 'r' || g || '@example.com', CASE WHEN g % 40 = 0 THEN 'bounced' ELSE 'delivered' END, 1,
       CASE WHEN g % 3 = 0 THEN 3 ELSE 0 END, CASE WHEN g % 9 = 0 THEN 1 ELSE 0 END,
       :t0, :t0 + g * interval '1 second', CASE WHEN g % 40 <> 0 THEN :t0 END,
       CASE WHEN g % 3 = 0 THEN :t0 END, CASE WHEN g % 9 = 0 THEN :t0 END, CASE WHEN g % 6 = 0 THEN :t0 END,
       CASE WHEN g % 40 = 0 THEN 'hard' END, CASE WHEN g % 40 = 0 THEN '550 5.1.1 =no such user' END
FROM generate_series(1, :n) AS g;
INSERT INTO events (recipient_id, mass_email_id, kind, occurred_at, source, dedupe_key, verdict, detail)
SELECT :first + (g % :n), :me, CASE WHEN g % 4 = 0 THEN 'click' ELSE 'open' END, :t0 + (g % 172800) * interval '1 second',
       'pixel', 'bench-' || g, CASE WHEN g % 2 = 0 THEN 'human' ELSE 'bot' END, '{}'
FROM generate_series(1, :events) AS g;
"""


def _median_ms(client, urls, htmx=False):
    times = []
    for n in range(REQUESTS + len(urls)):
        started = time.perf_counter()
        response = client.get(urls[n % len(urls)], htmx=htmx)
        assert response.status_code == 200, (urls[n % len(urls)], response.status_code)
        if n >= len(urls):
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_in_child():
    from datetime import datetime

    from sqlalchemy import select, text

    from tests.clients import MailroomClient
    from tests.factories import a_mass_email, use_app
    from webapp.auth.service import create_user
    from webapp.extensions import db
    from webapp.reports import detail
    from webapp.sending.models import Recipient

    app = app_with_schema()
    use_app(app)
    t0 = datetime(2026, 6, 1, 9)
    mass_email = a_mass_email(state="sent", list_size_all=RECIPIENTS, list_size_emailing=RECIPIENTS, sent_count=RECIPIENTS)
    with app.app_context():
        for other in range(200):
            db.session.execute(text("INSERT INTO mass_emails (name, template_version_id, state, list_size_all, list_size_emailing, "
                                    "sent_count, delivered_count, unique_open_count, human_open_count) "
                                    "SELECT 'other ' || :n, template_version_id, 'sent', 5000, 4900, 4900, 4800, :opens, :opens / 2 "
                                    "FROM mass_emails WHERE id = :me"),
                               {"n": other, "me": mass_email.id, "opens": other * 37 % 4800})
        started = time.perf_counter()
        first = (db.session.scalar(select(Recipient.id).order_by(Recipient.id.desc()).limit(1)) or 0) + 1
        for statement in SEED.strip().split(";\n"):
            db.session.execute(text(statement), {"me": mass_email.id, "t0": t0, "n": RECIPIENTS, "first": first,
                                                 "events": EVENTS})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        print(f"# seeded in {time.perf_counter() - started:.0f} s", flush=True)
        deep = {}
        for sort, (key, _nullable, _type) in detail.SORTS.items():
            row = db.session.execute(detail._statement(mass_email.id, detail.Selection(card="opens", sub="bot", sort=sort))
                                     .add_columns(key.label("k")).order_by(key, Recipient.id).offset(80_000).limit(1)).one()
            deep[sort] = detail.encode_cursor(row.k, row.id)
        user_id = create_user("bench@example.com", "correct horse battery", role="marketer").id
    app.test_client_class = MailroomClient
    client = app.test_client()
    client.log_in(user_id)
    lists = ["/mass-emails?scope=account", "/mass-emails?scope=account&sort=opens&dir=desc"]
    for url in lists:
        print(f"# {url}: {_median_ms(client, [url]):.1f} ms", flush=True)
    print(f"list_page_ms: {_median_ms(client, lists):.1f}", flush=True)
    page = f"/mass-emails/{mass_email.id}"
    print(f"detail_page_ms: {_median_ms(client, [page]):.1f}", flush=True)
    switches = [f"{page}/report?card=opens&sub=bot&sort={sort}&dir=asc&after={cursor}" for sort, cursor in deep.items()]
    for url in switches:
        print(f"# {url.split('&after')[0]}: {_median_ms(client, [url], htmx=True):.1f} ms", flush=True)
    print(f"card_switch_ms: {_median_ms(client, switches, htmx=True):.1f}", flush=True)
    started = time.perf_counter()
    lines = sum(chunk.count(b"\n") for chunk in client.get(f"{page}/export.csv").response)
    assert lines == RECIPIENTS + 1, lines
    print(f"export_1m_s: {time.perf_counter() - started:.1f}", flush=True)


def main():
    admin_url = _postgres_admin_url()
    if not admin_url:
        return
    with fresh_database("postgresql", admin_url) as env:
        subprocess.run([sys.executable, "-c", "import bench.reports as b; b.run_in_child()"], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    main()
