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
