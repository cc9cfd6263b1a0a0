"""A marketer imports a CSV in a real browser: upload, map, watch the bar, read the rejects, download them."""
import pytest

from tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser

CSV = ("E-mail Address;First Name;Last Name;Organisation;Favourite Colour\n"
       "ann@example.com;Ann;Lee;Acme;red\n"
       "bo@example;Bo;Berg;Initech;blue\n"
       "cy@example.com;Cy;\"Multi\nLine\";Globex;green\n"
       ";Nobody;;;\n"
       "ANN@example.com;Annie;;;\n"
       "=HYPERLINK(\"http://evil\");Mallory;;;\n"
       "dee@example.org;Dee;Dunn;Acme;\n")


def test_marketer_imports_a_csv_and_downloads_the_rejected_rows(page, marketer, worker, tmp_path):
    log_in(page, "marketer@example.com")
    page.goto("/imports")
    screenshot(page, "imports-empty")
    path = tmp_path / "fair-contacts.csv"
    path.write_text(CSV, encoding="utf-8")
    page.get_by_label("CSV file", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_role("heading", name="What is in each column?").wait_for()
    assert page.get_by_label("E-mail Address").input_value() == "email"
    assert page.get_by_label("Organisation").input_value() == "company"
    assert page.get_by_label("Favourite Colour").input_value() == "custom"
    assert page.locator("table.preview tr", has_text="Nobody").locator("td").first.inner_text() == "6"  # after a two-line cell
    page.get_by_label("…or to a new list named").fill("Trade fair")
    screenshot(page, "import-mapping")

    page.get_by_label("E-mail Address").select_option("ignore")
    page.get_by_role("button", name="Start import").click()
    page.get_by_text("missing email column").wait_for()
    screenshot(page, "import-mapping-missing-email")
    page.get_by_label("E-mail Address").select_option("email")
    page.get_by_role("button", name="Start import").click()

    page.get_by_role("heading", name="Result").wait_for()
    status = page.locator("#import-status")
    assert "3" == status.locator(".stat").nth(1).locator("strong").inner_text()
    assert "4" == status.locator(".stat").nth(3).locator("strong").inner_text()
    assert "duplicate of line 2 in this file" in status.inner_text()
    assert "Trade fair" in status.inner_text()
    rejected_lines = status.locator("tbody tr td:first-child").all_inner_texts()
    assert rejected_lines == ["3", "6", "7", "8"]
    screenshot(page, "import-result")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all 4 rejected rows (CSV)").click()
    saved = tmp_path / "rejected.csv"
    download_info.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "E-mail Address,First Name,Last Name,Organisation,Favourite Colour,line,error"
    assert lines[-1].startswith("\"'=HYPERLINK(\"\"http://evil\"\")\",Mallory,")

    page.get_by_role("link", name="← All imports").click()
    page.get_by_role("link", name="fair-contacts.csv").wait_for()
    screenshot(page, "imports-list")
