"""Reads the wrk outputs of bench/lead-intake and the SQLite file; prints the figures and checks
that every 201 is a stored lead."""
import sqlite3
import sys

intake_path, health_path, database, rss_kb, connections = sys.argv[1:6]
connections = int(connections)


def parse(path):
    figures = {"statuses": {}}
    for line in open(path):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "STATUS":
            figures["statuses"][int(parts[1])] = int(parts[2])
        elif parts[0] in ("P50_MS", "P99_MS", "DURATION_S"):
            figures[parts[0]] = float(parts[1])
        elif parts[0] == "REQUESTS":
            figures[parts[0]] = int(parts[1])
        elif parts[0] in ("Socket", "Non-2xx"):
            figures.setdefault("errors", []).append(line.strip())
    return figures


intake = parse(intake_path)
health = parse(health_path)
created = intake["statuses"].get(201, 0)
non2xx = sum(count for status, count in intake["statuses"].items() if status // 100 != 2)
leads_per_s = created / intake["DURATION_S"]
health_per_s = health["REQUESTS"] / health["DURATION_S"]
stored = sqlite3.connect(database).execute("SELECT COUNT(*) FROM leads").fetchone()[0]

print(f"leads/s            {leads_per_s:,.0f}")
print(f"p50 / p99          {intake['P50_MS']:.2f} ms / {intake['P99_MS']:.2f} ms")
print(f"non-2xx            {non2xx}  {intake['statuses']}")
print(f"/health floor      {health_per_s:,.0f} req/s (p99 {health['P99_MS']:.2f} ms)")
print(f"ratio              {leads_per_s / health_per_s:.2f} of the floor")
print(f"peak RSS           {int(rss_kb) / 1024:.0f} MB")
# wrk stops at the deadline without reading the answers of the requests still in flight (at most
# one per connection): those leads are stored (their 201 was on its way) but not counted.
in_flight = stored - created
print(f"stored leads       {stored} (201 answers counted: {created}; in flight at wrk's stop: {in_flight})")
for line in intake.get("errors", []):
    print("wrk:", line)
if not 0 <= in_flight <= connections:
    print("MISMATCH: stored leads do not match the 201 answers")
    sys.exit(1)
print("check              every 201 is a stored lead")
