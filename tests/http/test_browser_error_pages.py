"""A browser that opens an address outside the API that is no page gets a page (in its language; the staff
console's with a way back), not a problem document; programs, and every API path, keep the problem document."""

from __future__ import annotations

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_a_browser_gets_a_page_in_its_language(api):
    r = await api.client.get("/no-such-page", headers=BROWSER | {"accept-language": "de-DE,de;q=0.9"})
    assert r.status_code == 404 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="de">' in r.text and "<title>Seite nicht gefunden</title>" in r.text
    assert r.headers["cache-control"] == "no-store"


async def test_the_console_answers_with_a_way_back(api):
    r = await api.client.get("/admin/no-such-page", headers=BROWSER)
    assert r.status_code == 404 and "Page not found" in r.text and 'href="/admin"' in r.text
    r = await api.client.get("/admin/logout", headers=BROWSER)  # a form's address opened directly
    assert r.status_code == 405 and "cannot be opened directly" in r.text and 'href="/admin"' in r.text


async def test_programs_and_api_paths_keep_problem_documents(api):
    r = await api.client.get("/no-such-page")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    for path in ("/v1/no-such-thing", "/public/v1/no-such-thing", "/oauth/nothing"):
        r = await api.client.get(path, headers=BROWSER)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", path
