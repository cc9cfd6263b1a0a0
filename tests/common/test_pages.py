"""A `next` a page sends back (after login, after a row's action) stays on this site."""
import pytest

from webapp.common.pages import safe_next


@pytest.mark.parametrize("target", ["/mass-emails", "/mass-emails?scope=account&sort=sent", "/mass-emails/5/list-row?next=%2F"])
def test_a_path_of_ours_is_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [None, "", "https://evil.example/", "//evil.example/x", "/\\evil.example", "mass-emails",
                                    "javascript:alert(1)"])
def test_anything_else_is_refused(target):
    assert safe_next(target) is None
