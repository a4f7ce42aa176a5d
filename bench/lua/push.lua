-- POSTs new versions: the template body with a version unique to this run, thread and request,
-- spread over a list of modules. Usage: wrk ... -s push.lua URL -- BODY_FILE MODULES_FILE RUN_TAG
-- TOKEN_FILE. RUN_TAG must differ between runs against the same data (versions are immutable);
-- TOKEN_FILE holds an API token with the write scope (bench/lib.sh make_token), sent as
-- Authorization: Bearer on every push.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local template, modules, tag = nil, {}, "0"
local n = 0
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
   thread_count = (thread_count or 0) + 1
   thread:set("id", thread_count)
end

function init(args)
   local f = assert(io.open(args[1], "rb"))
   template = f:read("*a")
   f:close()
   for line in io.lines(args[2]) do
      if #line > 0 then modules[#modules + 1] = line end
   end
   tag = args[3] or "0"
   if args[4] then
      local t = assert(io.open(args[4], "rb"))
      local token = t:read("*l")
      t:close()
      assert(token and #token > 0, "no token in " .. args[4])
      headers["Authorization"] = "Bearer " .. token
   end
end

function request()
   n = n + 1
   -- Semver: 2.<run tag>.<thread id * 10^7 + counter>, unique across threads of one run.
   local version = string.format("2.%s.%d", tag, (id or 1) * 10000000 + n)
   local body = template:gsub("VERSION", version, 1)
   local module = modules[n % #modules + 1]
   return wrk.format("POST", "/modules/" .. module .. "/versions", headers, body)
end
