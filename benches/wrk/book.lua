-- wrk script: every request books (hold + confirm) a window picked at random from the file
-- named by WRK_TARGETS (lines "checkpoint direction category window_start"), with a plate of
-- its own and, unless WRK_KEYS=false, an Idempotency-Key of its own, as a careful client does.
-- At the end it prints one line per status ("status <code> <count>") for the caller to read.
--
--   WRK_TARGETS=targets.txt wrk -t2 -c256 -d15s --latency -s benches/wrk/book.lua http://127.0.0.1:8080

local threads = {}

function setup(thread)
    thread:set("thread_number", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    targets = {}
    for line in io.lines(os.getenv("WRK_TARGETS")) do
        local checkpoint, direction, category, start = line:match("^(%S+) (%S+) (%S+) (%S+)$")
        if checkpoint then
            table.insert(targets, { checkpoint, direction, category, start })
        end
    end
    assert(#targets > 0, "no targets in " .. tostring(os.getenv("WRK_TARGETS")))
    keys = os.getenv("WRK_KEYS") ~= "false"
    run = os.getenv("WRK_RUN") or "W"
    counter = 0
    statuses = {}
    math.randomseed(os.time() * 1000 + thread_number)
end

function request()
    counter = counter + 1
    local target = targets[math.random(#targets)]
    local plate = string.format("%s%02d%07d", run, thread_number, counter)
    local body = string.format(
        '{"checkpoint":"%s","direction":"%s","category":"%s","window_start":"%s",'
            .. '"plate":"%s","contact":"load@example.com","confirm":true}',
        target[1], target[2], target[3], target[4], plate)
    local headers = { ["Content-Type"] = "application/json" }
    if keys then
        headers["Idempotency-Key"] = plate .. "-" .. counter
    end
    return wrk.format("POST", "/api/v1/bookings", headers, body)
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
    local totals = {}
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do
            totals[status] = (totals[status] or 0) + count
        end
    end
    for status, count in pairs(totals) do
        io.write(string.format("status %d %d\n", status, count))
    end
end
