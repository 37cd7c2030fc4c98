"""The community-health measures of research/health-measures.md, in DuckDB.

Used by `agora bench analytics` to compare Agora's in-memory computation with
DuckDB over the same data (the bench writes it as CSV in the import format).
Usage: health_duckdb.py DIR SPACE_ID  ->  one JSON object on stdout:
load time, then per scope (the workspace, and the space) the measures and the
time of a first (cold) and a second (warm) computation.
Connectivity's connected components are found in Python (union-find) over
the edges DuckDB selects; everything else is SQL.
"""

import json
import sys
import time

import duckdb

DAY = 86400


def measures(con, scope):
    q = lambda sql: con.execute(sql).fetchall()
    con.execute(f"CREATE OR REPLACE TEMP VIEW sc AS SELECT * FROM i WHERE {scope}")
    (end,) = q("SELECT (max(t) // 86400 + 1) * 86400 FROM i")[0]
    w0 = end - 28 * DAY
    out = {}
    days = q(f"""
        WITH ad AS (SELECT DISTINCT actor_id, t // 86400 AS day FROM sc
                    WHERE NOT actor_is_staff AND t >= {end - 55 * DAY} AND t < {end}),
             dd AS (SELECT range AS d FROM range({end // DAY - 28}, {end // DAY}))
        SELECT dd.d,
               count(DISTINCT CASE WHEN ad.day = dd.d THEN ad.actor_id END),
               count(DISTINCT CASE WHEN ad.day > dd.d - 7 THEN ad.actor_id END),
               count(DISTINCT ad.actor_id)
        FROM dd LEFT JOIN ad ON ad.day BETWEEN dd.d - 27 AND dd.d GROUP BY dd.d""")
    out["dau"] = sum(r[1] for r in days) / 28
    out["wau"] = sum(r[2] for r in days) / 28
    sticky = [r[1] / r[3] for r in days if r[3] > 0]
    out["stickiness"] = sum(sticky) / len(sticky) if sticky else None
    (out["mau"],) = q(f"SELECT count(DISTINCT actor_id) FROM sc WHERE NOT actor_is_staff AND t >= {w0} AND t < {end}")[0]
    num, den = q(f"""SELECT count(*) FILTER (WHERE NOT actor_is_staff AND target_id NOT IN (SELECT actor_id FROM staff)), count(*)
                    FROM sc WHERE t >= {w0} AND t < {end} AND target_id IS NOT NULL AND target_id <> actor_id""")[0]
    out["member_to_member_share"] = num / den if den else None
    m, a = q(f"""SELECT count(*) FILTER (WHERE NOT actor_is_staff), count(*) FROM sc
                WHERE t >= {w0} AND t < {end} AND kind IN ('post', 'reply')""")[0]
    out["member_authored_share"] = m / a if a else None
    threads, answered, peer, ttfr, ttfr_m, ttfr_s = q(f"""
        WITH th AS (SELECT id, actor_id AS author, t AS t0 FROM sc
                    WHERE kind = 'post' AND id = thread_id AND NOT actor_is_staff AND t >= {w0} AND t < {end}),
             r AS (SELECT th.id, i.t - th.t0 AS ttfr, i.actor_is_staff AS staff,
                          row_number() OVER (PARTITION BY th.id ORDER BY i.t, i.id) AS rn
                   FROM th JOIN i ON i.thread_id = th.id AND i.kind = 'reply' AND i.actor_id <> th.author AND i.t >= th.t0)
        SELECT (SELECT count(*) FROM th), count(*), count(*) FILTER (WHERE NOT staff),
               median(ttfr), median(ttfr) FILTER (WHERE NOT staff), median(ttfr) FILTER (WHERE staff)
        FROM r WHERE rn = 1""")[0]
    out["member_threads"] = threads
    out["peer_first_response_rate"] = peer / answered if answered else None
    out["ttfr_median_s"] = ttfr
    out["ttfr_member_median_s"] = ttfr_m
    out["ttfr_staff_median_s"] = ttfr_s
    links, mutual, nodes = q(f"""
        WITH e AS (SELECT DISTINCT actor_id AS u, target_id AS v FROM sc
                   WHERE t >= {w0} AND t < {end} AND kind = 'reply' AND NOT actor_is_staff AND target_id IS NOT NULL
                     AND target_id <> actor_id AND target_id NOT IN (SELECT actor_id FROM staff))
        SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM e JOIN e AS f ON e.u = f.v AND e.v = f.u),
               (SELECT count(*) FROM (SELECT u FROM e UNION SELECT v FROM e))""")[0]
    if links:
        r, dens = mutual / links, links / (nodes * (nodes - 1))
        out["rho"] = (r - dens) / (1 - dens) if dens < 1 else None
    else:
        out["rho"] = None
    active = [row[0] for row in q(f"SELECT DISTINCT actor_id FROM sc WHERE NOT actor_is_staff AND t >= {w0} AND t < {end}")]
    edges = q(f"""
        WITH a AS (SELECT DISTINCT actor_id FROM sc WHERE NOT actor_is_staff AND t >= {w0} AND t < {end})
        SELECT DISTINCT actor_id, target_id FROM sc
        WHERE t >= {w0} AND t < {end} AND kind IN ('reply', 'mention', 'accepted_answer') AND NOT actor_is_staff
          AND target_id IS NOT NULL AND target_id <> actor_id AND target_id NOT IN (SELECT actor_id FROM staff)
          AND target_id IN (SELECT actor_id FROM a)""")
    parent = {node: node for node in active}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u, v in edges:
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[ru] = rv
    sizes = {}
    for node in active:
        root = find(node)
        sizes[root] = sizes.get(root, 0) + 1
    out["lcc_share"] = max(sizes.values()) / len(active) if active else None
    out["newcomers"], out["newcomers_activated"] = q(f"""
        WITH f AS (SELECT actor_id, min(t) AS first FROM sc WHERE NOT actor_is_staff GROUP BY actor_id),
             n AS (SELECT * FROM f WHERE first >= {w0} AND first < {end}),
             act AS (SELECT DISTINCT n.actor_id FROM n JOIN sc ON sc.actor_id = n.actor_id AND NOT sc.actor_is_staff
                     AND sc.kind IN ('post', 'reply') AND sc.t BETWEEN n.first AND n.first + {14 * DAY})
        SELECT (SELECT count(*) FROM n), (SELECT count(*) FROM act)""")[0]
    if scope == "TRUE":
        out["newcomers_by_join"], out["newcomers_by_join_activated"] = q(f"""
            WITH m AS (SELECT member_id, epoch(joined_at)::BIGINT AS j FROM members
                       WHERE NOT is_staff AND epoch(joined_at) >= {w0} AND epoch(joined_at) < {end}),
                 act AS (SELECT DISTINCT m.member_id FROM m JOIN i ON i.actor_id = m.member_id AND NOT i.actor_is_staff
                         AND i.kind IN ('post', 'reply') AND i.t BETWEEN m.j AND m.j + {14 * DAY})
            SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM act)""")[0]
    pooled = dict((k, (a, n)) for k, a, n in q(f"""
        WITH a AS (SELECT DISTINCT actor_id, epoch(date_trunc('week', "at"))::BIGINT AS wk FROM sc WHERE NOT actor_is_staff),
             c AS (SELECT actor_id, min(wk) AS cohort FROM a GROUP BY actor_id),
             sizes AS (SELECT cohort, count(*) AS size FROM c GROUP BY cohort),
             cells AS (SELECT c.cohort, (a.wk - c.cohort) // {7 * DAY} AS k, count(*) AS active
                       FROM a JOIN c USING (actor_id) GROUP BY ALL)
        SELECT k, sum(active), sum(size) FROM cells JOIN sizes USING (cohort)
        WHERE k IN (1, 4, 12) AND cohort + {7 * DAY} * (k + 1) <= {end} GROUP BY k"""))
    for k in (1, 4, 12):
        a, n = pooled.get(k, (0, 0))
        out[f"retention_w{k}"] = a / n if n else None
    out["active_days_29_56"], out["at_risk"], out["lapsed"] = q(f"""
        WITH b AS (SELECT DISTINCT actor_id FROM sc WHERE NOT actor_is_staff AND t >= {end - 56 * DAY} AND t < {end - 28 * DAY}),
             l AS (SELECT actor_id, max(t) AS last FROM sc WHERE NOT actor_is_staff AND t >= {end - 28 * DAY} AND t < {end} GROUP BY actor_id)
        SELECT count(*), count(*) FILTER (WHERE l.last IS NULL OR l.last < {end - 14 * DAY}), count(*) FILTER (WHERE l.last IS NULL)
        FROM b LEFT JOIN l USING (actor_id)""")[0]
    return out


def timed(con, scope):
    started = time.perf_counter()
    first = measures(con, scope)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    measures(con, scope)
    warm = time.perf_counter() - started
    return {"cold_s": cold, "warm_s": warm, "measures": first}


def main():
    directory, space = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(f"""CREATE TABLE i AS SELECT id, workspace_id, space_id, actor_id, target_id, kind, thread_id, "at",
                        epoch("at")::BIGINT AS t, actor_is_staff
                    FROM read_csv('{directory}/interactions.csv', header = true, timestampformat = '%Y-%m-%dT%H:%M:%SZ',
                        columns = {{'id': 'BIGINT', 'workspace_id': 'VARCHAR', 'space_id': 'VARCHAR', 'actor_id': 'VARCHAR',
                                   'target_id': 'VARCHAR', 'kind': 'VARCHAR', 'thread_id': 'BIGINT', 'at': 'TIMESTAMP',
                                   'actor_is_staff': 'BOOLEAN'}})""")
    con.execute(f"""CREATE TABLE members AS SELECT * FROM read_csv('{directory}/members.csv', header = true,
                        timestampformat = '%Y-%m-%dT%H:%M:%SZ',
                        columns = {{'member_id': 'VARCHAR', 'workspace_id': 'VARCHAR', 'joined_at': 'TIMESTAMP', 'is_staff': 'BOOLEAN'}})""")
    con.execute("CREATE TABLE staff AS SELECT DISTINCT actor_id FROM i WHERE actor_is_staff")
    load = time.perf_counter() - started
    result = {"load_s": load, "rows": con.execute("SELECT count(*) FROM i").fetchone()[0],
              "duckdb_version": duckdb.__version__,
              "workspace": timed(con, "TRUE"),
              "space": timed(con, f"space_id = '{space}'")}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
