-- POST /v1/messages with a new debtor and phone on every request, so the
-- contact cap (3 a day per debtor) never refuses: the benchmark measures the
-- whole accept path, not the refusal path.
local counter = 0
local token = os.getenv("SMSGATE_BENCH_TOKEN") or ""
local template = os.getenv("SMSGATE_BENCH_TEMPLATE") or "tpl_none"
local run = os.getenv("SMSGATE_BENCH_RUN") or "r"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

request = function()
  counter = counter + 1
  local body = string.format(
    '{"template_id":"%s","variables":{"name":"张三","amount":"1234.50","days":5,' ..
    '"hotline":"4008001234"},"recipient":{"phone":"+86138%08d","debtor_id":"%s-%d",' ..
    '"role":"debtor","timezone":"Asia/Shanghai"},"on_quiet_hours":"defer"}',
    template, counter % 100000000, run, counter)
  return wrk.format(nil, nil, nil, body)
end
