"""The dashboard over HTTP: the page and every asset it names are served, nothing comes from elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import HTTPException

from api.routes.dashboard import CONTENT_SECURITY_POLICY, DASHBOARD_DIR, media_type, resolve_asset
from tests.api.conftest import Service

TEXT_SUFFIXES = {".html", ".js", ".css", ".svg"}
OWN_FILES = sorted(path for path in DASHBOARD_DIR.rglob("*")
                   if path.suffix in TEXT_SUFFIXES and "vendor" not in path.relative_to(DASHBOARD_DIR).parts)
VENDOR_FILES = sorted((DASHBOARD_DIR / "vendor").glob("*.js"))

# Identifiers that look like addresses but are never fetched: XML namespaces (SVG needs them) and, inside the
# vendored library's comments, the addresses of its licences.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/2000/xmlns/",
              "http://www.w3.org/XML/1998/namespace"}
LICENCE_REFERENCES = {"http://www.apache.org/licenses/LICENSE-2.0",
                      "https://github.com/ecomfe/zrender/blob/master/LICENSE"}
# network schemes only: ECharts' own `path://M0 0…` symbol notation is drawing data, not an address
URL = re.compile(r"""\b(?:https?|wss?|ftp)://[^\s"'`)<>\\]+""", re.IGNORECASE)
# a protocol-relative reference (src="//cdn…", url(//…)) is external too
PROTOCOL_RELATIVE = re.compile(r"""(?:src|href|action)\s*=\s*["']//|url\(\s*["']?//|import\s*\(?\s*["']//""")
IMPORT = re.compile(r"""(?:^|\n)\s*import\s[^;]*?from\s+'([^']+)'""")


def _rel(path: Path) -> str:
    return path.relative_to(DASHBOARD_DIR).as_posix()


def _named_assets(html: str) -> list[str]:
    """The /static/ files the page names, and the modules they import (followed recursively)."""
    named = re.findall(r"""(?:src|href)="/static/([^"]+)\"""", html)
    queue = [name for name in named if name.endswith(".js")]
    while queue:
        module = queue.pop()
        source = (DASHBOARD_DIR / module).read_text(encoding="utf-8")
        for target in IMPORT.findall(source):
            resolved = (Path(module).parent / target).as_posix().removeprefix("./")
            if resolved not in named:
                named.append(resolved)
                queue.append(resolved)
    return named


def test_the_page_is_served_without_a_token(service: Service) -> None:
    response = service.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert '<script src="/static/vendor/echarts.min.js"></script>' in html
    assert '<script type="module" src="/static/js/app.js"></script>' in html
    assert service.client.head("/").status_code == 200


def test_every_asset_the_page_names_is_served(service: Service) -> None:
    named = _named_assets(service.client.get("/").text)
    # the page, its style, the charting library and the views it imports
    assert {"style.css", "vendor/echarts.min.js", "js/app.js", "js/api.js", "js/charts.js", "js/region.js",
            "js/enterprise.js", "js/screening.js", "js/projects.js"} <= set(named)
    for name in named:
        response = service.client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == media_type(DASHBOARD_DIR / name), name
        assert response.content == (DASHBOARD_DIR / name).read_bytes(), name


@pytest.mark.parametrize(("name", "expected"), [
    ("index.html", "text/html; charset=utf-8"),
    ("js/app.js", "text/javascript; charset=utf-8"),  # module scripts need a JavaScript MIME type
    ("style.css", "text/css; charset=utf-8"),
    ("favicon.svg", "image/svg+xml"),
    ("vendor/LICENSE-echarts", "text/plain; charset=utf-8"),
    ("vendor/NOTICE-echarts", "text/plain; charset=utf-8"),
])
def test_media_types(service: Service, name: str, expected: str) -> None:
    response = service.client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == expected
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", OWN_FILES, ids=_rel)
def test_own_files_name_no_external_address(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert set(URL.findall(text)) <= NAMESPACES, _rel(path)
    assert not PROTOCOL_RELATIVE.search(text), _rel(path)
    assert "@import" not in text and "@font-face" not in text, _rel(path)


@pytest.mark.parametrize("path", VENDOR_FILES, ids=_rel)
def test_the_vendored_library_fetches_nothing(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert set(URL.findall(text)) <= NAMESPACES | LICENCE_REFERENCES
    assert not PROTOCOL_RELATIVE.search(text)


def test_the_address_check_catches_a_cdn_link() -> None:
    # the checks above must be able to fail: a typical CDN include and a protocol-relative one
    assert URL.findall('<script src="https://cdn.jsdelivr.net/npm/echarts@6/dist/echarts.min.js">') == [
        "https://cdn.jsdelivr.net/npm/echarts@6/dist/echarts.min.js"]
    assert PROTOCOL_RELATIVE.search('<link href="//fonts.googleapis.com/css?family=Noto">')


def test_the_browser_is_told_to_load_nothing_from_elsewhere(service: Service) -> None:
    policy = service.client.get("/").headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(item.strip().split(" ", 1) for item in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert "http" not in policy and "*" not in policy


def test_echarts_6_is_vendored_with_its_licence() -> None:
    library = (DASHBOARD_DIR / "vendor" / "echarts.min.js").read_text(encoding="utf-8")
    assert re.search(r'version="6\.\d+\.\d+"', library)
    licence = (DASHBOARD_DIR / "vendor" / "LICENSE-echarts").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0" in licence
    assert "Apache ECharts" in (DASHBOARD_DIR / "vendor" / "NOTICE-echarts").read_text(encoding="utf-8")


def test_charts_use_the_svg_renderer() -> None:
    # the browser test reads chart text from the DOM, which only the SVG renderer puts there
    source = (DASHBOARD_DIR / "js" / "ui.js").read_text(encoding="utf-8")
    assert "echarts.init(holder, null, { renderer: 'svg' })" in source
    assert "echarts.init(" not in "".join(path.read_text(encoding="utf-8") for path in OWN_FILES
                                          if path.name != "ui.js")


@pytest.mark.parametrize("path", [
    "%2e%2e/routes/dashboard.py",
    "..%2Froutes%2Fdashboard.py",
    "%2e%2e/%2e%2e/pyproject.toml",
    "%2Fetc%2Fpasswd",
    "js",
    "js/missing.js",
])
def test_files_outside_the_dashboard_are_refused(service: Service, path: str) -> None:
    response = service.client.get(f"/static/{path}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "no dashboard file" in response.json()["detail"]


@pytest.mark.parametrize("relative", ["../main.py", "/etc/passwd", "", ".", "js/../../main.py", "link/secret.txt"])
def test_resolve_asset_stays_inside_its_folder(tmp_path: Path, relative: str) -> None:
    root = tmp_path / "dashboard"
    (root / "js").mkdir(parents=True)
    (root / "js" / "app.js").write_text("export {};\n", encoding="utf-8")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("secret", encoding="utf-8")
    (root / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(HTTPException) as raised:
        resolve_asset(relative, root)
    assert raised.value.status_code == 404
    assert resolve_asset("js/app.js", root) == (root / "js" / "app.js").resolve()
    assert resolve_asset("js/../js/app.js", root) == (root / "js" / "app.js").resolve()


def test_the_dashboard_stays_out_of_the_api_schema(service: Service) -> None:
    paths = service.client.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert not any(path.startswith("/static") for path in paths)
