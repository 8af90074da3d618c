-- wrk script: GET /f/{FORM_CODE}?org={ORG} as a phone browser opens a hosted form from an ad
-- (campaign parameters, a mobile user agent). Every request renders the first screen and records
-- its visit (no LP). Reads ORG, FORM_CODE.
function init(args)
  local headers = {
    ["User-Agent"] = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
    ["Accept"] = "text/html,application/xhtml+xml",
    ["Accept-Language"] = "fr-FR,fr;q=0.9",
  }
  local path = string.format("/f/%s?org=%s&utm_source=google&utm_campaign=bench&gclid=bench-%d",
    os.getenv("FORM_CODE"), os.getenv("ORG"), math.random(1, 1000000))
  prepared = wrk.format("GET", path, headers)
end

-- wrk calls request() for each request (a string assigned to it is ignored: wrk would send GET /).
function request()
  return prepared
end

function done(summary, latency, requests)
  io.write(string.format("P50_MS %.2f\nP90_MS %.2f\nP99_MS %.2f\nREQUESTS %d\nDURATION_S %.2f\nERRORS %d\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.duration / 1e6, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
