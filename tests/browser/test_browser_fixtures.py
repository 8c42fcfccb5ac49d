"""The browser fixtures themselves: a page served on 127.0.0.1 renders, runs JavaScript and reports its errors."""

from pathlib import Path


def test_served_page_runs_javascript_and_takes_a_screenshot(page, serve, screenshots, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        "<!doctype html><title>t</title><p id=out>before</p>"
        "<script>document.getElementById('out').textContent = String(6 * 7);</script>",
        encoding="utf-8",
    )
    page.goto(serve(tmp_path) + "index.html")
    assert page.text_content("#out") == "42"
    shot = screenshots / "fixture_check.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 1000


def test_javascript_errors_are_collected(page, serve, browser_errors, tmp_path: Path) -> None:
    (tmp_path / "bad.html").write_text("<!doctype html><script>undefinedFunction()</script>", encoding="utf-8")
    page.goto(serve(tmp_path) + "bad.html")
    page.wait_for_timeout(100)
    assert any("undefinedFunction" in e for e in browser_errors)


def test_open_page_opens_pages_of_the_size_asked_for(open_page, serve, browser_errors, tmp_path: Path) -> None:
    (tmp_path / "size.html").write_text("<!doctype html><script>console.error('seen')</script>", encoding="utf-8")
    url = serve(tmp_path) + "size.html"
    assert url.startswith("http://127.0.0.1:")
    small, laptop = open_page(800, 600), open_page(1366, 768)
    for page, size in ((small, [800, 600]), (laptop, [1366, 768])):
        page.goto(url)
        assert page.evaluate("[innerWidth, innerHeight]") == size
    assert browser_errors.count("console.error: seen") == 2  # both pages are watched
