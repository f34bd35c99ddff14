-- Replays pre-generated requests: each wrk thread loads its own slice file (<prefix>.<thread index>), one request
-- per line: "<Authorization token>\t<JSON body>[\t<Header>: <value>]..." (the body may be absent for GET, the token
-- empty for requests that carry none, e.g. signed device requests whose signature headers follow the body). Usage:
--   wrk -s replay.lua <url> -- <once|cycle> <METHOD> <path> [<prefix>]
-- "once" sends every line at most once (a bind consumes its device); a thread that runs out stops and reports it.
-- "cycle" starts again at the first line (reads). Without a prefix every request is a bare METHOD path.
-- Every answer is counted by the envelope's "code" (or "http<status>" when the HTTP status is not 200; a Tencent
-- {"Response":...} answer counts as "200" without an "Error", else by its Error.Code), and
-- done() prints one line "BENCH-RESULT {json}" for the orchestrator.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local requests = {}
local count = 0
local position = 0
local mode = "cycle"
counts = {}
exhausted = 0

function init(args)
  mode = args[1] or "cycle"
  local method = args[2] or "GET"
  local path = args[3] or "/"
  local prefix = args[4]
  if prefix == nil or prefix == "" then
    requests[1] = wrk.format(method, path)
    count = 1
    mode = "cycle"
    return
  end
  local file = assert(io.open(prefix .. "." .. id, "r"))
  for line in file:lines() do
    local fields = {}
    local start = 1
    while true do
      local tab = line:find("\t", start, true)
      if not tab then
        table.insert(fields, line:sub(start))
        break
      end
      table.insert(fields, line:sub(start, tab - 1))
      start = tab + 1
    end
    local token, body = fields[1], fields[2]
    local headers = {}
    if token ~= "" then
      headers["Authorization"] = token
    end
    for i = 3, #fields do
      local colon = fields[i]:find(": ", 1, true)
      headers[fields[i]:sub(1, colon - 1)] = fields[i]:sub(colon + 2)
    end
    if body ~= nil and body ~= "" then
      headers["Content-Type"] = "application/json"
    else
      body = nil
    end
    count = count + 1
    requests[count] = wrk.format(method, path, headers, body)
  end
  file:close()
end

function request()
  position = position + 1
  if position > count then
    if mode == "cycle" then
      position = 1
    else
      exhausted = 1
      wrk.thread:stop()
      position = count
    end
  end
  return requests[position]
end

function response(status, headers, body)
  local key
  if status ~= 200 then
    key = "http" .. status
  elseif body and body:sub(1, 12) == '{"Response":' then
    key = body:match('"Error":{"Code":"([^"]+)"') or "200"
  else
    key = (body and body:match('^{"code":(%-?%d+)')) or "unparsed"
  end
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests_stats)
  local total = {}
  local any_exhausted = 0
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    if c then
      for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
    end
    if thread:get("exhausted") == 1 then any_exhausted = 1 end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, string.format('"%s":%d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"durationUs":%d,"requests":%d,"p50Us":%d,"p90Us":%d,"p95Us":%d,"p99Us":%d,"p999Us":%d,"maxUs":%d,"meanUs":%.1f,' ..
    '"socketErrors":%d,"timeouts":%d,"exhausted":%d,"codes":{%s}}\n',
    summary.duration, summary.requests, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
    e.connect + e.read + e.write, e.timeout, any_exhausted, table.concat(parts, ",")))
end
