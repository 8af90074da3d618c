-- wrk script: GET /health, the HTTP floor of the machine.
function done(summary, latency, requests)
  io.write(string.format("P50_MS %.2f\nP99_MS %.2f\nREQUESTS %d\nDURATION_S %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, summary.duration / 1e6))
end
