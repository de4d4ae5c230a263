"""Database URLs, including libpq's multi-host form for a Patroni cluster.

`postgres://user@db1:5432,db2:5432,db3:5432/hotline?target_session_attrs=read-write` lists
every member; libpq tries them in turn and keeps the one that accepts writes, so after a
failover the next connection finds the new leader without a proxy in front. dj-database-url
cannot parse several hosts (its urlparse wants one port), so the host list is taken out,
the rest parsed as usual, and the lists handed to psycopg as libpq's comma-separated `host`
and `port` parameters. Imported by settings: nothing here may touch Django's models.
"""

import re

import dj_database_url

_NETLOC = re.compile(
    r"^(?P<scheme>[a-z0-9+]+)://(?:(?P<auth>[^@/]*)@)?(?P<hosts>[^/?]*)(?P<rest>.*)$"
)


def parse(url: str, conn_max_age: int = 0) -> dict:
    """Django's DATABASES entry for `url`; several `host:port` pairs give libpq lists."""
    match = _NETLOC.match(url)
    if match is None or "," not in match["hosts"]:
        return dj_database_url.parse(url, conn_max_age=conn_max_age)
    hosts, ports = [], []
    for part in match["hosts"].split(","):
        host, _, port = part.rpartition(":") if ":" in part else (part, "", "")
        if not host:
            raise ValueError(f"bad host in database URL: {part!r}")
        hosts.append(host)
        ports.append(port or "5432")
    auth = f"{match['auth']}@" if match["auth"] is not None else ""
    single = f"{match['scheme']}://{auth}{hosts[0]}:{ports[0]}{match['rest']}"
    config = dj_database_url.parse(single, conn_max_age=conn_max_age)
    config["HOST"] = ",".join(hosts)
    config["PORT"] = ",".join(ports)
    return config
