"""GX Data Docs that work offline, and the map of their pages the report links to.

GX's page templates load Bootstrap, jQuery, bootstrap-table, Font Awesome and the GX
logo from public CDNs; without them the index lists nothing (its tables are filled
by bootstrap-table) and no page is styled. After GX builds the site, every page is
rewritten to load local copies instead: the files of the npm packages that
workflow/data_docs/package.json pins (installed with `npm ci`), copied under
static/vendor/, and GX's own logo from static/images/. A reference to the network
that has no local copy is removed, so no page requests anything from outside the
machine; where the packages are not installed the pages load nothing from outside
and are unstyled, and a warning says so.

The Data Docs are a cache: a failure to build them is logged, never raised.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path

from greenaudit.validate.gx.keys import anchor
from greenaudit.validate.gx.specs import ExpectationSpec

log = logging.getLogger(__name__)

SITE_NAME = "greenaudit_site"
PAGES_FILE = "pages.json"
VENDOR_DIR = "static/vendor"
LOGO = "static/images/logo-long.png"

# What GX's templates load from the network, by package and file: (URL pattern,
# npm package, path in the package). Versions are those of workflow/data_docs.
VENDORED: tuple[tuple[str, str, str], ...] = (
    (r"https://unpkg\.com/bootstrap-table@[\d.]+/dist/bootstrap-table\.min\.css",
     "bootstrap-table", "dist/bootstrap-table.min.css"),
    (r"https://unpkg\.com/bootstrap-table@[\d.]+/dist/extensions/filter-control/"
     r"bootstrap-table-filter-control(\.min)?\.css",
     "bootstrap-table", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    (r"https://unpkg\.com/bootstrap-table@[\d.]+/dist/bootstrap-table\.min\.js",
     "bootstrap-table", "dist/bootstrap-table.min.js"),
    (r"https://unpkg\.com/bootstrap-table@[\d.]+/dist/extensions/filter-control/"
     r"bootstrap-table-filter-control\.min\.js",
     "bootstrap-table", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    (r"https://maxcdn\.bootstrapcdn\.com/bootstrap/[\d.]+/css/bootstrap\.min\.css",
     "bootstrap", "dist/css/bootstrap.min.css"),
    (r"https://stackpath\.bootstrapcdn\.com/bootstrap/[\d.]+/js/bootstrap\.min\.js",
     "bootstrap", "dist/js/bootstrap.min.js"),
    (r"https://cdnjs\.cloudflare\.com/ajax/libs/bootstrap-datepicker/[\d.]+/css/"
     r"bootstrap-datepicker\.min\.css",
     "bootstrap-datepicker", "dist/css/bootstrap-datepicker.min.css"),
    (r"https://cdnjs\.cloudflare\.com/ajax/libs/bootstrap-datepicker/[\d.]+/js/"
     r"bootstrap-datepicker\.min\.js",
     "bootstrap-datepicker", "dist/js/bootstrap-datepicker.min.js"),
    (r"https://cdn\.jsdelivr\.net/npm/@forevolve/bootstrap-dark@[\d.]+/dist/css/"
     r"bootstrap-prefers-dark\.css",
     "@forevolve/bootstrap-dark", "dist/css/bootstrap-prefers-dark.css"),
    (r"https://cdnjs\.cloudflare\.com/ajax/libs/font-awesome/[\d.]+/css/all\.min\.css",
     "@fortawesome/fontawesome-free", "css/all.min.css"),
    (r"https://code\.jquery\.com/jquery-[\d.]+\.min\.js", "jquery", "dist/jquery.min.js"),
    (r"https://cdnjs\.cloudflare\.com/ajax/libs/popper\.js/[\d.]+/umd/popper\.min\.js",
     "popper.js", "dist/umd/popper.min.js"),
)
# Directories a vendored file refers to relatively (Font Awesome's CSS loads its fonts).
VENDORED_DIRS = (("@fortawesome/fontawesome-free", "webfonts"),)

_TAG = re.compile(r"<(script|link)\b[^>]*>(\s*</script>)?", re.I)
_URL_ATTR = re.compile(r"""\b(src|href)\s*=\s*(["'])(https?:)?//[^"']*\2""", re.I)
_SRI_ATTR = re.compile(r"""\s(integrity|crossorigin)(\s*=\s*(["'])[^"']*\3)?""", re.I)
_IMG_URL = re.compile(r"""(<img\b[^>]*\bsrc\s*=\s*)(["'])https?://[^"']*\2""", re.I)
_CSS_URL = re.compile(r"""url\(\s*(["']?)https?://[^)"']*\1\s*\)""", re.I)


def site_config(docs_dir: Path) -> dict:
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(Path(docs_dir).resolve())},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


def copy_vendored(assets: Path | None, docs_dir: Path) -> dict[str, str]:
    """Copy the packages' files into the site; {package/path: site-relative path} copied."""
    copied: dict[str, str] = {}
    if assets is None or not assets.is_dir():
        log.warning("GX Data Docs: the page assets are not installed (%s); the pages load "
                    "nothing from the network and are unstyled. Install them with "
                    "`npm ci --prefix workflow/data_docs`.", assets)
        return copied
    for _, package, path in VENDORED:
        source = assets / package / path
        if not source.is_file():
            log.warning("GX Data Docs: %s is missing; pages will do without it", source)
            continue
        target = docs_dir / VENDOR_DIR / package / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied[f"{package}/{path}"] = f"{VENDOR_DIR}/{package}/{path}"
    for package, folder in VENDORED_DIRS:
        if (assets / package / folder).is_dir():
            shutil.copytree(assets / package / folder, docs_dir / VENDOR_DIR / package / folder,
                            dirs_exist_ok=True)
    return copied


def _local(url: str, copied: dict[str, str]) -> str | None:
    for pattern, package, path in VENDORED:
        if re.fullmatch(pattern, url) and f"{package}/{path}" in copied:
            return copied[f"{package}/{path}"]
    return None


def offline_page(html: str, copied: dict[str, str], to_root: str) -> str:
    """The page loading local copies (`to_root`: the relative path to the site's root)."""

    def tag(match: re.Match) -> str:
        text = match.group(0)
        url = _URL_ATTR.search(text)
        if url is None:
            return text
        address = url.group(0).split(url.group(2))[1]
        local = _local(address, copied)
        if local is None:
            return ""  # no local copy: leave it out rather than reach the network
        text = _SRI_ATTR.sub("", text)  # file: pages cannot satisfy SRI's CORS check
        return text.replace(address, to_root + local)

    html = _TAG.sub(tag, html)
    html = _IMG_URL.sub(lambda m: f"{m.group(1)}{m.group(2)}{to_root}{LOGO}{m.group(2)}", html)
    return _CSS_URL.sub(f"url('{to_root}{LOGO}')", html)


def make_offline(docs_dir: Path, assets: Path | None) -> int:
    """Rewrite every page of the site to load nothing from the network; pages rewritten."""
    copied = copy_vendored(assets, docs_dir)
    pages = sorted(docs_dir.rglob("*.html"))
    for page in pages:
        to_root = os.path.relpath(docs_dir, page.parent).replace(os.sep, "/") + "/"
        to_root = "" if to_root == "./" else to_root
        text = page.read_text(encoding="utf-8")
        page.write_text(offline_page(text, copied, to_root), encoding="utf-8")
    return len(pages)


STABLE_RUN_DIR = "latest"


def stabilise_result_paths(docs_dir: Path) -> None:
    """Move each suite's result page from its run's timestamped directory to a fixed one
    (validations/SUITE/RUN/latest/), so the report's links to it do not change between
    builds of the same data. The pages' own links are relative and as deep as before;
    the index's links to them are rewritten."""
    index = docs_dir / "index.html"
    text = index.read_text(encoding="utf-8")
    for run_time in sorted(docs_dir.glob("validations/*/*/*")):
        if not run_time.is_dir() or run_time.name == STABLE_RUN_DIR:
            continue
        stable = run_time.with_name(STABLE_RUN_DIR)
        if stable.exists():
            shutil.rmtree(stable)
        run_time.rename(stable)
        old = run_time.relative_to(docs_dir).as_posix() + "/"
        text = text.replace(old, stable.relative_to(docs_dir).as_posix() + "/")
    index.write_text(text, encoding="utf-8")


def write_pages(docs_dir: Path, plan: dict[str, list[ExpectationSpec]]) -> None:
    """pages.json: each suite's result and suite pages, and each expectation's items and
    link (page#anchor), for the report. Paths are relative to the site's root."""
    suites, expectations = [], {}
    for suite, specs in plan.items():
        found = sorted((docs_dir / "validations" / suite).rglob("*.html"))
        result = found[-1].relative_to(docs_dir).as_posix() if found else ""
        suite_page = f"expectations/{suite}.html"
        suites.append({"suite": suite, "result": result,
                       "expectations": suite_page if (docs_dir / suite_page).is_file() else ""})
        expectations[suite] = [[s.check_id, s.items[0], s.items[-1],
                                f"{result}#{anchor(s.check_id)}" if result else ""]
                               for s in specs]
    (docs_dir / PAGES_FILE).write_text(
        json.dumps({"suites": suites, "expectations": expectations}, indent=1,
                   ensure_ascii=False) + "\n", encoding="utf-8")


def write_placeholder(docs_dir: Path, problem: str) -> None:
    """A one-page site saying why GX's could not be built (the workflow declares the
    directory as an output)."""
    try:
        docs_dir.mkdir(parents=True, exist_ok=True)
        escaped = problem.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        (docs_dir / "index.html").write_text(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Data Docs</title>"
            "</head><body><h1>GX Data Docs were not built</h1>"
            f"<p>{escaped}</p><p>See gx_results.json for the validation results.</p>"
            "</body></html>\n", encoding="utf-8")
    except OSError as exc:
        log.warning("GX Data Docs placeholder could not be written in %s: %s", docs_dir, exc)


def build_data_docs(context, docs_dir: Path, assets: Path | None,
                    plan: dict[str, list[ExpectationSpec]]) -> None:
    """Build the site from scratch, offline; warn, never raise."""
    try:
        if docs_dir.exists():
            shutil.rmtree(docs_dir)
        context.build_data_docs(site_names=[SITE_NAME])
        if (docs_dir / "index.html").is_file():
            stabilise_result_paths(docs_dir)
            make_offline(docs_dir, assets)
            write_pages(docs_dir, plan)
            return
        problem = "GX reported no error but wrote no index.html"
    except Exception as exc:  # noqa: BLE001 - docs are optional output
        problem = f"{type(exc).__name__}: {exc}"
    log.warning("GX Data Docs could not be built in %s: %s", docs_dir, problem)
    write_placeholder(docs_dir, problem)
