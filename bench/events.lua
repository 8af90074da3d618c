-- wrk script: POST /api/v1/events as the tracker sends them (text/plain beacons, a browser's user
-- agent). BATCH events per request (1 = single events). Reads ORG, LP_CODE, FORM_CODE.
local batch = tonumber(os.getenv("BATCH") or "1")
local prebuilt = 2000
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  statuses = {}
  local headers = {
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    ["Origin"] = "https://bench.example",
  }
  local types = { "lp_visit", "lp_visit", "lp_visit", "cta_click", "form_start" }
  requests = {}
  for n = 1, prebuilt do
    local events = {}
    for e = 1, batch do
      local kind = types[((n + e) % #types) + 1]
      local code = (kind == "form_start") and string.format('"form_code":"%s"', os.getenv("FORM_CODE"))
        or string.format('"lp_code":"%s"', os.getenv("LP_CODE"))
      events[e] = string.format(
        '{"type":"%s",%s,"visitor_id":"v%d-%d","session_id":"s%d-%d","url":"https://bench.example/lp?utm_source=bench",'
        .. '"utm_source":"bench","utm_campaign":"events"}', kind, code, id, n, id, n)
    end
    local body
    if batch == 1 then
      body = string.gsub(events[1], "^{", '{"org":"' .. os.getenv("ORG") .. '",')
    else
      body = '{"org":"' .. os.getenv("ORG") .. '","events":[' .. table.concat(events, ",") .. ']}'
    end
    requests[n] = wrk.format("POST", "/api/v1/events", headers, body)
  end
end

function request()
  counter = counter + 1
  return requests[(counter % prebuilt) + 1]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local accepted = 0
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, count in pairs(s) do
      if status == 202 then accepted = accepted + count end
      io.write(string.format("STATUS %d %d\n", status, count))
    end
  end
  io.write(string.format("P50_MS %.2f\nP99_MS %.2f\nREQUESTS %d\nDURATION_S %.2f\nACCEPTED %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, summary.duration / 1e6, accepted))
end
