"""Directory index pages (Apache `mod_autoindex`, nginx `autoindex`, and the like) as lists of entries.

Only the links matter: an entry is a link to a direct child of the page's own folder. That ignores the
parent-directory link, the column-sorting links (`?C=N;O=D`), icons and links elsewhere, whatever the
page's styling, and works for relative (`201401/`) and absolute (`/nighttime_light/.../201401/`) hrefs.

Kept by hand: the standard library's HTMLParser collects the links in ten lines; an HTML library (BeautifulSoup,
lxml) would be a new dependency for those ten, and which links are entries is this module's rule whatever
parses the page. Index-page parsers guess the columns (dates, sizes) of a few server styles, which are not needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit


@dataclass(frozen=True, order=True)
class ListingEntry:
    """A file or folder (`is_dir`) in an index page; `name` is unquoted, without a trailing slash."""

    name: str
    is_dir: bool


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def parse_index(html: str, page_url: str) -> list[ListingEntry]:
    """The entries of the index page at `page_url` (the folder's URL), sorted by name."""
    base = page_url if page_url.endswith("/") else page_url + "/"
    base_parts = urlsplit(base)
    parser = _Links()
    parser.feed(html)
    parser.close()
    entries = set()
    for href in parser.hrefs:
        target = urlsplit(urljoin(base, href))
        if target.query or (target.scheme, target.netloc) != (base_parts.scheme, base_parts.netloc):
            continue
        if not target.path.startswith(base_parts.path):
            continue  # the parent folder or elsewhere
        rest = target.path[len(base_parts.path) :]
        name = unquote(rest.rstrip("/"))
        if not name or "/" in name or name in (".", ".."):
            continue  # the page itself, or deeper than one level
        entries.add(ListingEntry(name, rest.endswith("/")))
    return sorted(entries)
