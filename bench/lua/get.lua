-- GET a rotating list of paths with optional auth headers.
-- BENCH_DATA: file of paths; BENCH_AUTH: Authorization header; BENCH_COOKIE: Cookie header.
package.path = package.path .. ";" .. os.getenv("BENCH_LUA") .. "/?.lua"
require "done"

local paths = lines(os.getenv("BENCH_DATA"))
local headers = {}
if os.getenv("BENCH_AUTH") and os.getenv("BENCH_AUTH") ~= "" then
  headers["Authorization"] = os.getenv("BENCH_AUTH")
end
if os.getenv("BENCH_COOKIE") and os.getenv("BENCH_COOKIE") ~= "" then
  headers["Cookie"] = os.getenv("BENCH_COOKIE")
end
local i = 0

function request()
  i = i + 1
  return wrk.format("GET", paths[i % #paths + 1], headers)
end
