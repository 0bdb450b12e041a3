-- Apply one merged update to a month's live pools, atomically.
--
-- ARGV[1] key prefix of the month (kx:live:YYYY-MM)
-- ARGV[2] batch marker ('' for absolute updates that are idempotent by themselves)
-- ARGV[3] JSON {listener: {n = qualifying streams to add, w = {target = weight to add},
--                          plan = plan pool, rev = recorded-revenue pool}}
-- ARGV[4] update time (ISO 8601)
-- ARGV[5] a rebuild's token when called by that rebuild (it holds the month's rebuild flag)
-- ARGV[6] 'existing' when the month was written to before, so its state must be here
--
-- Targets: 'a:<artist>' (weight = streams, contribution = gross), 'p:<payee>' (weight =
-- streams x share x 1e6, contribution = payee amount), 'b:<artist>' (a track paying 100%
-- to its artist: both at once, half the work), 's:<isrc>' (unmatched: suspense),
-- 't:<isrc>' (a catalog track: its own gross, streams and listeners).
-- A listener's contribution to a target is round(pool x weight / streams) in units of
-- 1e-9 of the currency, recomputed whenever its pool or stream total changes, and only
-- the difference is added to the month's totals. Returns 'ok', 'dup', 'busy' or 'lost'.
local p = ARGV[1]
if ARGV[5] ~= '' then
  -- Checked here, atomically with the write: a Redis restarted (or flushed) since the
  -- caller looked must not get a lone update that then passes for the whole month, and
  -- a rebuild whose flag expired or went to another rebuild must stop writing.
  local holder = redis.call('GET', p .. ':rebuilding')
  if holder ~= ARGV[5] then
    -- Nobody rebuilds now: what this rebuild wrote is partial, so the month must read as
    -- missing (the next update rebuilds it). Another rebuild's state is left alone.
    if not holder then redis.call('DEL', p .. ':totals') end
    return 'lost'
  end
elseif redis.call('EXISTS', p .. ':rebuilding') == 1 then
  return 'busy'
end
if ARGV[6] == 'existing' and redis.call('EXISTS', p .. ':totals') == 0 then
  return 'lost'
end
if ARGV[2] ~= '' then
  -- 40 days: longer than any month stays open for live updates.
  if not redis.call('SET', p .. ':b:' .. ARGV[2], '1', 'NX', 'EX', 3456000) then
    return 'dup'
  end
end

local SHARE_SCALE = 1000000
local function int(x) return string.format('%d', x) end
local function contribution(kind, pool, weight, streams)
  if streams <= 0 or weight <= 0 then return 0 end
  if kind == 'p' then return math.floor(pool * weight / (streams * SHARE_SCALE) + 0.5) end
  return math.floor(pool * weight / streams + 0.5)
end
local totals_of = {a = {':gross'}, p = {':amount'}, s = {':suspense'}, b = {':gross', ':amount'}, t = {':tgross'}}

local totals = p .. ':totals'
local pending = {[':gross'] = {}, [':amount'] = {}, [':suspense'] = {}, [':tgross'] = {}}
local data = cjson.decode(ARGV[3])
for listener, d in pairs(data) do
  local lk = p .. ':l:' .. listener
  local state = redis.call('HMGET', lk, 'P', 'T', 'rev')
  local old_pool = tonumber(state[1]) or 0
  local old_streams = tonumber(state[2]) or 0
  local pool = old_pool
  if d.rev then
    pool = d.rev
    redis.call('HSET', lk, 'rev', '1')
  elseif state[3] ~= '1' and d.plan and d.plan > pool then
    pool = d.plan
  end
  local streams = old_streams + (d.n or 0)
  redis.call('HSET', lk, 'P', int(pool), 'T', int(streams))
  if pool ~= old_pool then redis.call('HINCRBY', totals, 'pools', int(pool - old_pool)) end
  if (d.n or 0) ~= 0 then redis.call('HINCRBY', totals, 'streams', int(d.n)) end
  local old_unallocated = (old_streams == 0) and old_pool or 0
  local new_unallocated = (streams == 0) and pool or 0
  if new_unallocated ~= old_unallocated then
    redis.call('HINCRBY', totals, 'unallocated', int(new_unallocated - old_unallocated))
  end
  local changed_weights = false
  if d.w then
    for target, inc in pairs(d.w) do
      changed_weights = true
      local kind, id = string.sub(target, 1, 1), string.sub(target, 3)
      if kind == 'a' or kind == 'b' then
        -- A listener counts once per artist, whichever kinds of its tracks it played.
        local plays = redis.call('HMGET', lk, 'w:a:' .. id, 'w:b:' .. id)
        if (tonumber(plays[1]) or 0) + (tonumber(plays[2]) or 0) == 0 then
          redis.call('HINCRBY', p .. ':listeners', id, 1)
        end
        redis.call('HINCRBY', p .. ':streams', id, int(inc))
      end
      if kind == 'p' then redis.call('HINCRBY', p .. ':pweights', id, int(inc)) end
      if kind == 'b' then redis.call('HINCRBY', p .. ':pweights', id, int(inc * SHARE_SCALE)) end
      if kind == 's' then redis.call('HINCRBY', p .. ':sstreams', id, int(inc)) end
      if kind == 't' then
        if (tonumber(redis.call('HGET', lk, 'w:' .. target)) or 0) == 0 then
          redis.call('HINCRBY', p .. ':tlisteners', id, 1)
        end
        redis.call('HINCRBY', p .. ':tstreams', id, int(inc))
      end
      redis.call('HINCRBY', lk, 'w:' .. target, int(inc))
    end
  end
  if pool ~= old_pool or streams ~= old_streams or changed_weights then
    local fields = redis.call('HGETALL', lk)
    local weights, current = {}, {}
    for i = 1, #fields, 2 do
      local prefix = string.sub(fields[i], 1, 2)
      if prefix == 'w:' then
        weights[string.sub(fields[i], 3)] = tonumber(fields[i + 1])
      elseif prefix == 'c:' then
        current[string.sub(fields[i], 3)] = tonumber(fields[i + 1])
      end
    end
    local changed = {}
    for target, weight in pairs(weights) do
      local kind, id = string.sub(target, 1, 1), string.sub(target, 3)
      local new = contribution(kind, pool, weight, streams)
      local old = current[target] or 0
      if new ~= old then
        changed[#changed + 1] = 'c:' .. target
        changed[#changed + 1] = int(new)
        if #changed >= 1000 then  -- unpack has a limit: write in slices
          redis.call('HSET', lk, unpack(changed))
          changed = {}
        end
        for _, hash in ipairs(totals_of[kind]) do
          local deltas = pending[hash]
          deltas[id] = (deltas[id] or 0) + (new - old)
        end
        if kind == 'a' or kind == 'b' then
          redis.call('ZINCRBY', p .. ':fans:' .. id, int(new - old), listener)
        end
      end
    end
    if #changed > 0 then redis.call('HSET', lk, unpack(changed)) end
  end
end
-- The totals' changes, summed over the batch's listeners: one call per artist, payee or
-- track rather than one per listener and target.
for hash, deltas in pairs(pending) do
  for id, delta in pairs(deltas) do
    if delta ~= 0 then redis.call('HINCRBY', p .. hash, id, int(delta)) end
  end
end
redis.call('HSET', totals, 'updated_at', ARGV[4])
return 'ok'
