-- POST the status form (reference + birth date + CSRF token) for a rotating set of cases.
-- BENCH_DATA: file of "reference,day,month,year" lines; BENCH_PATH: the form's path.
package.path = package.path .. ";" .. os.getenv("BENCH_LUA") .. "/?.lua"
require "done"

local rows = lines(os.getenv("BENCH_DATA"))
local path = os.getenv("BENCH_PATH")
local token = "benchcsrftokenbenchcsrftoken0123"  -- 32 characters: a valid CSRF secret
local i = 0

function setup(thread)
  thread:set("offset", math.random(1, #rows))
end

function request()
  i = i + 1
  local ref, d, m, y = rows[(i + (offset or 0)) % #rows + 1]:match("([^,]+),([^,]+),([^,]+),([^,]+)")
  local body = "csrfmiddlewaretoken=" .. token .. "&reference=" .. ref ..
    "&day=" .. d .. "&month=" .. m .. "&year=" .. y
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. token,
  }, body)
end
