"""The multi-host database URL of a Patroni cluster becomes libpq's host and port lists."""

import pytest

from hotline import dburl


def test_several_hosts_become_libpq_lists_with_their_options():
    # given: the three members of a cluster, the write-only session attribute and a timeout
    url = "postgres://app:pw@db1:5432,db2:6432,db3/hotline?target_session_attrs=read-write&connect_timeout=3"

    # when
    config = dburl.parse(url, conn_max_age=600)

    # then: one entry psycopg hands to libpq as host=db1,db2,db3 port=5432,6432,5432
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"]) == ("db1,db2,db3", "5432,6432,5432")
    assert (config["USER"], config["PASSWORD"], config["NAME"]) == ("app", "pw", "hotline")
    assert config["OPTIONS"] == {"target_session_attrs": "read-write", "connect_timeout": 3}
    assert config["CONN_MAX_AGE"] == 600


@pytest.mark.parametrize(
    "url, host, port",
    [
        ("postgres://postgres@127.0.0.1:5432/hotline", "127.0.0.1", 5432),
        ("postgres://postgres@localhost/hotline", "localhost", ""),
    ],
    ids=["one-host-with-port", "one-host-default-port"],
)
def test_one_host_is_parsed_as_before(url, host, port):
    config = dburl.parse(url)
    assert (config["HOST"], config["PORT"], config["NAME"]) == (host, port, "hotline")


def test_a_host_list_with_an_empty_host_is_refused():
    with pytest.raises(ValueError, match="bad host"):
        dburl.parse("postgres://postgres@db1:5432,:5433/hotline")
