-- GETs each path of a list in turn (one path per line). Usage: wrk ... -s paths.lua URL -- LIST_FILE
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local paths = {}
local i = 0

function init(args)
   for line in io.lines(args[1]) do
      if #line > 0 then paths[#paths + 1] = line end
   end
   assert(#paths > 0, "no paths in " .. tostring(args[1]))
   -- Each wrk thread starts at a different place so threads do not walk in lockstep.
   i = (id or 0) * 7919 % #paths
end

function setup(thread)
   thread_count = (thread_count or 0) + 1
   thread:set("id", thread_count)
end

function request()
   i = i % #paths + 1
   return wrk.format("GET", paths[i])
end
