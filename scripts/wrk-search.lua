-- wrk script for scripts/bench-search.sh: POST /v1/search with a rotating
-- set of demo-corpus queries, authenticated with $SEOGO_KEY, in $MODE.
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
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key

request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]
  return wrk.format(nil, nil, nil, '{"query":"' .. q .. '","mode":"' .. mode .. '","k":10}')
end
