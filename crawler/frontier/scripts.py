"""The frontier's Redis operations, each one Lua script so that it is atomic.

Atomic because several processes on several machines share the keys: a request must never be
marked seen without being queued, taken without being recorded in flight, or given back twice.
Times are Redis's own clock (``TIME``), so machines with skewed clocks agree on who is dead.
"""

from __future__ import annotations

# KEYS: queue, seen. ARGV: score, request, fingerprint ('' = no duplicate check).
# 1 when queued, 0 when the fingerprint was seen already in this crawl.
PUSH = """
if ARGV[3] ~= '' and redis.call('SADD', KEYS[2], ARGV[3]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

# KEYS: queue, inflight. ARGV: in-flight fields (<worker>#<token>), one per request wanted.
# The best requests (as many as there are fields, or fewer), best first, each moved into the
# in-flight hash under the next field with its score (to give it back unchanged); returns
# request, score, request, score ...
POP = """
local top = redis.call('ZRANGE', KEYS[1], 0, #ARGV - 1, 'WITHSCORES')
for i = 1, #top, 2 do
  redis.call('ZREM', KEYS[1], top[i])
  redis.call('HSET', KEYS[2], ARGV[(i + 1) / 2], top[i + 1] .. '\\n' .. top[i])
end
return top
"""

# An in-flight entry (score, newline, request) back into the queue with its score, and out of
# the in-flight hash: how GIVE_BACK and REAP both return a request.
_REQUEUE = """
local function requeue(inflight, queue, field, value)
  local nl = string.find(value, '\\n', 1, true)
  if nl then
    redis.call('ZADD', queue, string.sub(value, 1, nl - 1), string.sub(value, nl + 1))
  end
  redis.call('HDEL', inflight, field)
end
"""

# KEYS: inflight, queue. ARGV: in-flight fields of requests this worker took but never started.
# Back into the queue with their score, for any worker; returns how many.
GIVE_BACK = _REQUEUE + """
local n = 0
for i = 1, #ARGV do
  local value = redis.call('HGET', KEYS[1], ARGV[i])
  if value then
    requeue(KEYS[1], KEYS[2], ARGV[i], value)
    n = n + 1
  end
end
return n
"""

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# KEYS: workers. ARGV: worker, timeout (s). The worker is alive for timeout more seconds.
HEARTBEAT = _NOW + """
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
"""

# KEYS: crawl, workers. ARGV: new crawl id, worker, timeout.
# {1 if this process started the crawl else 0, the crawl id}; the worker is registered in the
# same step, so the last worker of a finishing crawl cannot delete the keys under a joiner.
CLAIM = _NOW + """
local started = redis.call('SET', KEYS[1], ARGV[1], 'NX')
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
return {started and 1 or 0, redis.call('GET', KEYS[1])}
"""

# KEYS: workers, inflight, queue. Requests in flight with a worker that is dead (its heartbeat
# expired) or gone (closed without finishing them) go back into the queue. Returns how many.
REAP = _NOW + _REQUEUE + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local entries = redis.call('HGETALL', KEYS[2])
local n = 0
for i = 1, #entries, 2 do
  local worker = string.match(entries[i], '^(.*)#[^#]*$')
  if worker == nil or redis.call('ZSCORE', KEYS[1], worker) == false then
    requeue(KEYS[2], KEYS[3], entries[i], entries[i + 1])
    n = n + 1
  end
end
return n
"""

# KEYS: queue, inflight, workers, seen, crawl. ARGV: worker.
# The worker leaves; the last one out of a finished crawl deletes its keys. 1 when deleted.
LEAVE = _NOW + """
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) == 0 and redis.call('ZCARD', KEYS[1]) == 0
    and redis.call('HLEN', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
  return 1
end
return 0
"""
