-- wrk script for scripts/bench-search.sh: POST /v1/search with a rotating
-- set of demo-corpus queries, authenticated with $SEOGO_KEY, in $MODE.
-- UNIQUE=1 makes every query text new (a request number appended), so
-- none is served from the query-vector cache.
local key = os.getenv("SEOGO_KEY") or ""
local mode = os.getenv("MODE") or "hybrid"
local queries = {
  "냉각수 펌프 점검 주기",
  "알람 코드 E-1023",
  "What does error code E-2051 mean?",
  "PN-4471-A 부품",
  "베어링 온도 기준",
  "작업 전 안전 점검",
  "설비 고장 이력",
  "공지 사항 일정",
}
local unique = os.getenv("UNIQUE") == "1"
local n = 0
-- Each wrk thread has its own Lua state: number them so that unique
-- queries stay unique across threads.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key

request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]
  if unique then
    q = q .. " " .. tid .. "-" .. n
  end
  return wrk.format(nil, nil, nil, '{"query":"' .. q .. '","mode":"' .. mode .. '","k":10}')
end
