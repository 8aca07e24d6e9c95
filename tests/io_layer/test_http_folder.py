"""Index pages and input folders served over HTTP (POI snapshots on a web server)."""

import pytest

from sacnn_dagster.io.cache import CacheSettings
from sacnn_dagster.io.http_folder import HttpFolder
from sacnn_dagster.io.http_listing import ListingEntry, parse_index
from sacnn_dagster.io.open_folder import open_input_folder
from tests.servers.eog import TreeServer

APACHE = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html><head><title>Index of /nighttime_light/monthly/v10/2014</title></head><body>
<table><tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th></tr>
<tr><td><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="/nighttime_light/monthly/v10/">Parent Directory</a></td></tr>
<tr><td><a href="201401/">201401/</a></td><td>2014-02-10 12:00</td></tr>
<tr><td><a href="/nighttime_light/monthly/v10/2014/201402/">201402/</a></td></tr>
<tr><td><a href="http://other.example/2014/201403/">elsewhere</a></td></tr>
<tr><td><a href="201404/deeper/">too deep</a></td></tr>
<tr><td><a href="notes%20v2.txt">notes v2.txt</a></td><td>4.0K</td></tr>
<tr><td><a href="201401/">201401/</a></td></tr>
</table></body></html>"""

NGINX = """<html><head><title>Index of /pois/</title></head><body><h1>Index of /pois/</h1><hr><pre>
<a href="../">../</a>
<a href="2019-07.csv">2019-07.csv</a>                                        03-Feb-2020 10:00     1234
<a href="older/">older/</a>                                             03-Feb-2020 10:00        -
<a href="#top">top</a>
</pre><hr></body></html>"""


def test_apache_index_entries():
    entries = parse_index(APACHE, "https://eogdata.mines.edu/nighttime_light/monthly/v10/2014/")
    assert entries == [
        ListingEntry("201401", True),
        ListingEntry("201402", True),
        ListingEntry("notes v2.txt", False),
    ]


def test_nginx_index_entries_with_a_page_url_without_slash():
    assert parse_index(NGINX, "http://127.0.0.1:8000/pois") == [
        ListingEntry("2019-07.csv", False),
        ListingEntry("older", True),
    ]


@pytest.fixture
def pois():
    files = {
        "pub/pois/2019-07.csv": b"id,name\n1,a\n",
        "pub/pois/2020-01.csv": b"id,name\n2,b\n",
        "pub/pois/archive/2018-01.csv": b"id,name\n3,c\n",
    }
    with TreeServer(files) as srv:
        yield srv


def folder(srv, tmp_path):
    return HttpFolder(f"{srv.url}/pub/pois", None, CacheSettings(tmp_path / "cache", None), backoff_s=0.01, retries=1)


def test_lists_recursively_and_fetches_into_the_cache(pois, tmp_path):
    f = folder(pois, tmp_path)
    assert f.location == f"{pois.url}/pub/pois"
    assert f.list_files() == ["2019-07.csv", "2020-01.csv", "archive/2018-01.csv"]
    path = f.local_path("archive/2018-01.csv")
    assert path.read_bytes() == b"id,name\n3,c\n"
    assert f.local_path("archive/2018-01.csv") == path
    assert pois.downloads() == ["/pub/pois/archive/2018-01.csv"]


def test_a_file_changed_under_the_same_name_is_fetched_again(pois, tmp_path):
    f = folder(pois, tmp_path)
    first = f.local_path("2019-07.csv")
    pois.files["pub/pois/2019-07.csv"] = b"id,name\n1,a\n4,d\n"
    assert f.local_path("2019-07.csv").read_bytes() == b"id,name\n1,a\n4,d\n"
    assert first.read_bytes() == b"id,name\n1,a\n", "the old version stays until evicted"


def test_missing_folder_and_file_are_file_not_found(pois, tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere/: not found"):
        HttpFolder(f"{pois.url}/nowhere", None, CacheSettings(tmp_path / "c", None)).list_files()
    with pytest.raises(FileNotFoundError, match="pub/pois/2030-01.csv: not found"):
        folder(pois, tmp_path).local_path("2030-01.csv")


def test_open_input_folder_dispatches_http(pois, tmp_path):
    f = open_input_folder(f"{pois.url}/pub/pois/", cache=CacheSettings(tmp_path / "cache", None))
    assert isinstance(f, HttpFolder) and "2020-01.csv" in f.list_files()
