-- wrk script: distinct leads for POST /api/v1/leads, counting answers per status.
-- Reads FORM_CODE and API_KEY from the environment.
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Requests are built once, in init: formatting them while measuring would spend on the load
-- generator the CPU the server needs (both share the machine's two cores).
local prebuilt = tonumber(os.getenv("PREBUILT") or "150000")

function init(args)
  counter = 0
  statuses = {}
  local form = os.getenv("FORM_CODE")
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Token " .. os.getenv("API_KEY"),
    -- As a live page's fallback fetch sends it: a browser's user agent (the robot filter and the
    -- stored user agent see what production sees).
    ["User-Agent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  }
  requests = {}
  for n = 1, prebuilt do
    -- 06 + 2 digits of thread + 6 digits of counter: every lead has its own phone number.
    -- SEED (optional, 0-9) gives each run of a filling loop its own numbers (no duplicates).
    local phone = string.format("06%02d%06d", id + 10 * tonumber(os.getenv("SEED") or "0"), n)
    local body = string.format(
      '{"form_code":"%s","phone":"%s","nom":"Bench","prenom":"Camille","code_postal":"75008",'
      .. '"statut_occupant":"proprietaire","type_logement":"maison","utm_source":"bench",'
      .. '"session_id":"bench-%d-%d","visitor_id":"bench-v-%d-%d","consent":{"phone":true,"email":false}}',
      form, phone, id, n, id, n)
    -- Each lead from a public address of its own (through the proxy header, LEADHUB_TRUST_PROXY on):
    -- the quality score counts the address's and the visitor's leads of 24 h, as in production.
    local h = {}
    for k, v in pairs(headers) do h[k] = v end
    h["X-Forwarded-For"] = string.format("86.%d.%d.%d", id % 200 + 1, math.floor(n / 250) % 250, n % 250 + 1)
    requests[n] = wrk.format("POST", "/api/v1/leads", h, body)
  end
end

function request()
  counter = counter + 1
  -- Past the prebuilt ones (a very long run), fall back to building each request.
  return requests[counter] or wrk.format("POST", "/api/v1/leads", {
    ["Content-Type"] = "application/json", ["Authorization"] = "Token " .. os.getenv("API_KEY") },
    string.format('{"form_code":"%s","phone":"07%02d%06d","nom":"Bench","code_postal":"75008",'
      .. '"statut_occupant":"proprietaire","type_logement":"maison","consent":{"phone":true}}', os.getenv("FORM_CODE"), id, counter % 1000000))
end

-- LIMIT (optional): requests per thread after which the thread stops (fills an exact backlog).
local limit = tonumber(os.getenv("LIMIT") or "0")

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if limit > 0 and counter >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for status, count in pairs(s) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  for status, count in pairs(totals) do
    io.write(string.format("STATUS %d %d\n", status, count))
  end
  io.write(string.format("P50_MS %.2f\nP99_MS %.2f\nREQUESTS %d\nDURATION_S %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, summary.duration / 1e6))
end
