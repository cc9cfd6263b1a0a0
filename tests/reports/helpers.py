"""What the reports' tests share: reading the recipient rows of a detail report and the stat links of a list row."""
import html
import re


def recipient_ids(response):
    """The recipient ids of a report's contact table, in order."""
    assert response.status_code == 200, response.data[:300]
    return [int(found) for found in re.findall(rb'data-recipient="(\d+)"', response.data)]


def report_ids(client, mass_email_id, **args):
    """The recipient ids the detail report's table shows for these query args."""
    return recipient_ids(client.get(f"/mass-emails/{mass_email_id}/report", query_string=args, htmx=True))


def list_stats(response, mass_email_id):
    """{data-stat: (href, text)} of one row's stat links."""
    row = re.search(rf'<tr id="mass-email-{mass_email_id}".*?</tr>'.encode(), response.data, re.S).group(0).decode()
    return {stat: (html.unescape(href), text) for href, stat, text in
            re.findall(r'<a href="([^"]+)" data-stat="([\w-]+)"[^>]*>([^<]*)</a>', row)}
