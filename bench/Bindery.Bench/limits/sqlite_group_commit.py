#!/usr/bin/env python3
"""The machine's bare SQLite limit for binds: the server's own schema (its SQLite migrations, applied in order),
WAL, synchronous=FULL, foreign_keys=ON like the server, and per bind exactly the rows a Wi-Fi bind writes: the
device's code marked used (UPDATE devices), the binding (INSERT bindings), its event (INSERT binding_events) and
the device push (INSERT device_pushes). Binds are committed in groups (one fsync per group), as the server's
single writer does; nothing is read, checked or computed. Prints binds/s, rows/s and commits (fsyncs)/s per
group size. Python's sqlite3 module (the system's SQLite) adds about a microsecond per statement, so the row
rates are a slight under-estimate of what C could do; the fsync rate is the disk's.

usage: sqlite_group_commit.py <migrations dir> <work dir> <seconds per group size> [group sizes, e.g. 1,16,64,256]
"""
import os
import random
import re
import sqlite3
import sys
import time
import uuid

migrations, workdir, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
groups = [int(g) for g in (sys.argv[4] if len(sys.argv) > 4 else "1,4,16,64,256").split(",")]
DEVICES = int(os.environ.get("BARE_DEVICES", "500000"))
USERS = 1_000

path = os.path.join(workdir, "bare.db")
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("PRAGMA foreign_keys=ON")

# The server's migrations: NNNN_name.sql, or its NNNN_name.sqlite.sql override; never the .postgres ones.
names = {}
for f in sorted(os.listdir(migrations)):
    m = re.match(r"^(\d{4}_[a-z0-9_]+?)(\.(sqlite|postgres))?\.sql$", f)
    if m and m.group(3) != "postgres":
        if m.group(3) == "sqlite" or m.group(1) not in names:
            names[m.group(1)] = f
for name in sorted(names):
    db.executescript(open(os.path.join(migrations, names[name])).read())

now = int(time.time() * 1000)
db.execute("BEGIN")
db.execute("INSERT INTO user_domains (id, secret, home_mode, created_at) VALUES ('d1', 's', 0, ?)", (now,))
db.executemany("INSERT INTO users (id, domain_id, username, password_hash, created_at) VALUES (?, 'd1', ?, 'x', ?)",
               [(f"u{u}", f"bench{u}", now) for u in range(USERS)])
db.execute("INSERT INTO products (pk, ps, name, logo_url, module_type, binding_mode, user_cap, methods, created_at) "
           "VALUES ('p1', 'ps', 'Bench plug', 'https://example.invalid/p.png', 'ESP32', 2, 1, 3, ?)", (now,))
db.executemany(
    "INSERT INTO devices (pk, dk, sn, device_secret, module_type, data_center, created_at, binding_code_hash, "
    "binding_code_reported_at, binding_code_expires_at) VALUES ('p1', ?, ?, 'secret', 'ESP32', 'dc1', ?, ?, ?, ?)",
    ((f"{0x0A0000000000 + n:012X}", f"BSN{n:09d}", now, "%064x" % n, now, now + 3_600_000) for n in range(DEVICES)))
db.execute("COMMIT")

print(f"bare SQLite group commit ({sqlite3.sqlite_version}, WAL, synchronous=FULL, foreign_keys=ON, the server's schema, "
      f"{DEVICES:,} devices, {USERS:,} users; file {path}); per bind 4 rows: UPDATE devices, INSERT bindings, binding_events, "
      f"device_pushes; devices in random order, users in turn (as ./bench.sh binds)")
# Devices in random order and the binds spread over the users, as the benchmark's binds arrive: sequential devices and
# one user would put every secondary-index insert at the end of its index and flatter the figure.
order = list(range(DEVICES))
random.Random(6).shuffle(order)


def bind_params(keys):
    """Every bind's values, made before the clock starts: the loop measures SQLite, not Python."""
    base = now
    params = []
    for i, n in enumerate(order):
        if keys == "random":
            binding, event, push = uuid.uuid4().hex[:24], uuid.uuid4().hex[:24], uuid.uuid4().hex[:24]
        else:
            prefix = f"{base + i // 20:011x}"
            binding, event, push = (prefix + uuid.uuid4().hex[:13] for _ in range(3))
        dk = f"{0x0A0000000000 + n:012X}"
        user = f"u{i % USERS}"
        params.append((dk, (binding, dk, user, "%064x" % n), (event, dk, user, binding), (push, dk)))
    return params


def header(unit, short):
    # µs/op is wall time (1 / ops/s); cpu µs/op is this process's CPU (user + system: the statements, and the kernel's
    # work of writing and syncing the WAL) per operation, the figure to hold against the server's CPU per request.
    print(f"{'group':>6} {unit + '/s':>9} {'rows/s':>9} {'fsyncs/s':>9} {'µs/' + short:>8} {'cpu µs/' + short:>11} {'ms/commit':>9}")


def measure(group, params, at, rows_per_op, write):
    """Commits groups of `group` operations of params[at:] for `seconds`, each group one transaction in which
    write(chunk, now_ms) runs its statements; prints one row; returns where in params it stopped."""
    ops = commits = 0
    commit_time = 0.0
    start = time.perf_counter()
    cpu_start = time.process_time()
    while time.perf_counter() - start < seconds and at + group <= len(params):
        db.execute("BEGIN IMMEDIATE")
        write(params[at:at + group], int(time.time() * 1000))
        at += group
        c = time.perf_counter()
        db.execute("COMMIT")
        commit_time += time.perf_counter() - c
        ops += group
        commits += 1
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    if ops == 0:
        print(f"{group:>6} (out of prepared operations: fewer group sizes or seconds, or more BARE_DEVICES)")
        return at
    print(f"{group:>6} {ops / elapsed:>9,.0f} {rows_per_op * ops / elapsed:>9,.0f} {commits / elapsed:>9,.0f} "
          f"{elapsed / ops * 1e6:>8.1f} {cpu / ops * 1e6:>11.1f} {commit_time / commits * 1000:>9.2f}")
    return at


def write_binds(chunk, ts):
    # executemany per table: the statements of a group run in C, one prepared statement each.
    db.executemany("UPDATE devices SET binding_code_used_at = ? WHERE pk = 'p1' AND dk = ? AND binding_code_used_at IS NULL",
                   [(ts, dk) for dk, _, _, _ in chunk])
    db.executemany("INSERT INTO bindings (binding_id, pk, dk, user_id, is_exclusive, method, auth_key_hash, device_name, "
                   "is_common, verified, bound_at) VALUES (?, 'p1', ?, ?, 1, 'WIFI', ?, 'Bench plug', 0, 1, ?)",
                   [b + (ts,) for _, b, _, _ in chunk])
    db.executemany("INSERT INTO binding_events (event_id, occurred_at, kind, pk, dk, user_id, method, verified, binding_id, "
                   "actor_type, actor_id) VALUES (?, ?, 'bound', 'p1', ?, ?, 'WIFI', 1, ?, 'user', ?)",
                   [(e[0], ts, e[1], e[2], e[3], e[2]) for _, _, e, _ in chunk])
    db.executemany("INSERT INTO device_pushes (push_id, pk, dk, method, payload, created_at, attempts) "
                   "VALUES (?, 'p1', ?, 'bind_device', ?, ?, 0)",
                   [p + ('{"method":"bind_device","params":{"UserID":"u1","FamilyId":null}}', ts) for _, _, _, p in chunk])


def write_reports(chunk, ts):
    db.executemany("INSERT INTO device_nonces (pk, dk, nonce, expires_at) VALUES ('p1', ?, ?, ?) "
                   "ON CONFLICT (pk, dk, nonce) DO UPDATE SET expires_at = excluded.expires_at WHERE device_nonces.expires_at < ?",
                   [(dk, nonce, ts + 600_000, ts) for dk, nonce, _ in chunk])
    db.executemany("UPDATE devices SET binding_code_hash = ?, binding_code_reported_at = ?, binding_code_expires_at = ?, "
                   "binding_code_used_at = NULL, binding_code_failures = 0 WHERE pk = 'p1' AND dk = ?",
                   [(code, ts, ts + 3_600_000, dk) for dk, _, code in chunk])


# Each device is bound once: the groups, and the two kinds of keys, take the devices in turn.
device = 0
for keys in ("random", "time-ordered"):
    print()
    print(f"keys of bindings, binding_events, device_pushes: {keys}")
    header("binds", "bind")
    binds_params = bind_params(keys)
    for group in groups:
        device = measure(group, binds_params, device, 4, write_binds)

# A device code report writes 2 rows: its nonce spent (device_nonces upsert) and the new code's hash on its device row.
print()
print("per device code report 2 rows: INSERT device_nonces (upsert), UPDATE devices (the code's hash, times, failures)")
header("reports", "rep")
report = 0
for group in groups:
    # Made before the clock starts, enough for the fastest rate seen here (a new nonce each, devices in turn).
    report_params = [(f"{0x0A0000000000 + n % DEVICES:012X}", f"{n:032x}", "%064x" % (n + 7))
                     for n in range(report, report + int(seconds * 150_000))]
    report += measure(group, report_params, 0, 2, write_reports)
db.close()
