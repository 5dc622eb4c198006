-- wrk script: POST a unique, valid Strava push event per request (so every insert is real, none a duplicate).
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

local counter = 0

function request()
  counter = counter + 1
  local object_id = tid * 1000000000 + counter
  local body = string.format(
    '{"aspect_type":"create","event_time":1700000000,"object_id":%d,"object_type":"activity",' ..
    '"owner_id":134815,"subscription_id":120475,"updates":{}}', object_id)
  return wrk.format("POST", "/webhooks/strava", {["Content-Type"] = "application/json"}, body)
end
