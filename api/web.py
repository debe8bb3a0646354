"""The browser UI: our pages and ES modules from ``web/``, vendor bundles from ``web/node_modules``.

Plain Flask, no authentication: pages hold no data, everything they show comes through the
authenticated REST API. Only named folders and suffixes are served, so ``web/`` can keep its
README, package files and tooling without leaking them; vendor files come only from the
``dist`` folder of an allow-listed package, because the rest of ``node_modules`` (sources,
build scripts, other packages) is not meant for browsers.
"""
from __future__ import annotations

from flask import Blueprint, abort, send_from_directory

from api.config import PROJECT_ROOT

WEB_DIR = PROJECT_ROOT / "web"
NODE_MODULES = WEB_DIR / "node_modules"

# /vendor/<package>/<path> → node_modules/<package>/dist/<path>; longest names first for prefix matching.
VENDOR_PACKAGES = ("@bpmn-io/form-js", "element-plus", "bpmn-js", "echarts", "vue")

# Explicit types (Flask appends the charset to text/*): Python's mimetypes may not know .mjs, and
# browsers refuse module scripts served as anything but JavaScript.
PAGE_TYPES = {".html": "text/html"}
ASSET_TYPES = {".js": "text/javascript", ".css": "text/css"}
VENDOR_TYPES = {**ASSET_TYPES, ".mjs": "text/javascript", ".map": "application/json",
                ".svg": "image/svg+xml", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf",
                ".eot": "application/vnd.ms-fontobject"}

blp = Blueprint("web", __name__)


def _send(directory, name: str, types: dict[str, str], max_age: int):
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in types:
        abort(404)
    # send_from_directory refuses anything that resolves outside `directory` (.., absolute paths)
    response = send_from_directory(directory, name, mimetype=types[suffix], max_age=max_age)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.get("/<string:page>.html")
def top_page(page):
    return _send(WEB_DIR, f"{page}.html", PAGE_TYPES, max_age=0)


@blp.get("/<any(forms, tasks, cases, designer, admin, stats):folder>/<string:page>.html")
def section_page(folder, page):
    return _send(WEB_DIR / folder, f"{page}.html", PAGE_TYPES, max_age=0)


@blp.get("/<any(js, css):folder>/<path:name>")
def asset(folder, name):
    # max_age=0: revalidate by ETag, so a deploy is picked up without stale modules
    return _send(WEB_DIR / folder, name, ASSET_TYPES, max_age=0)


@blp.get("/vendor/<path:name>")
def vendor(name):
    package = next((p for p in VENDOR_PACKAGES if name.startswith(p + "/")), None)
    if package is None:
        abort(404)
    return _send(NODE_MODULES / package / "dist", name[len(package) + 1:], VENDOR_TYPES, max_age=3600)
