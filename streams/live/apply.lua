-- Apply one merged update to a month's live pools, atomically.
--
-- ARGV[1] key prefix of the month (kx:live:YYYY-MM)
-- ARGV[2] batch marker ('' for absolute updates that are idempotent by themselves)
-- ARGV[3] JSON {listener: {n = qualifying streams to add, w = {target = weight to add},
--                          plan = plan pool, rev = recorded-revenue pool}}
-- ARGV[4] update time (ISO 8601)
-- ARGV[5] a rebuild's token when called by that rebuild (it holds the month's rebuild flag)
-- ARGV[6] 'existing' when the month was written to before, so its state must be here
-- ARGV[7] repricing step in millionths (0: every contribution exact after every play)
-- ARGV[8] the fans' repricing step in millionths (coarser: a fan score costs a ZINCRBY)
--
-- Targets: 'a:<artist>' (weight = streams, contribution = gross), 'p:<payee>' (weight =
-- streams x share x 1e6, contribution = payee amount), 'b:<artist>' (a track paying 100%
-- to its artist: both at once, half the work), 's:<isrc>' (unmatched: suspense),
-- 't:<isrc>' (a catalog track: its own gross, streams and listeners).
--
-- A listener's contribution to a target is round(Q x weight / R) in units of 1e-9 of the
-- currency, where Q and R are its pool and stream total when it was last priced; only
-- differences reach the month's totals, the fans' scores and the targets' sums. Pricing
-- every target again on each play would cost as much as the listener's history, so it is
-- lazy (docs/rules.md §2 Estimates vs finals): a play adds its weight at the listener's
-- last price, and the listener is priced again, every target at once, when its pool
-- changes or its stream total T outgrows R by more than the step. The exact contribution
-- is P x weight / T with R <= T <= R x (1 + step): a stored one lies between the exact
-- value and (1 + step) times it. Step 0 prices again on every play, exactly.
-- A fan's score in an artist's fans set is priced the same way with its own, coarser step,
-- checked when the money is priced: it lies between the exact contribution and
-- (1 + step)(1 + fans' step) times it, so a read can price a short list exactly.
-- Listener hash: P pool, T streams, rev (revenue recorded), Q and R (pool and streams at
-- the last pricing), F (streams when fan scores were last priced; a pool change prices
-- both, so their pool is always Q), w:<target> weights.
-- Returns 'ok', 'dup', 'busy' or 'lost'.
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
-- State written by an older version (contributions stored per target) cannot be priced
-- by this one: the month reads as lost and is rebuilt from PostgreSQL.
local FORMAT = '2'
-- So can a month priced with another step (a changed LIVE_REPRICE_STEP): its stated bounds
-- would no longer hold.
if ARGV[5] == '' and redis.call('EXISTS', p .. ':totals') == 1 then
  local kept = redis.call('HMGET', p .. ':totals', 'format', 'step', 'fans_step')
  if kept[1] ~= FORMAT or kept[2] ~= ARGV[7] or kept[3] ~= ARGV[8] then return 'lost' end
end
if ARGV[2] ~= '' then
  -- 40 days: longer than any month stays open for live updates.
  if not redis.call('SET', p .. ':b:' .. ARGV[2], '1', 'NX', 'EX', 3456000) then
    return 'dup'
  end
end

local SHARE_SCALE = 1000000
local STEP = tonumber(ARGV[7]) or 0
local FAN_STEP = tonumber(ARGV[8]) or 0
local function int(x) return string.format('%d', x) end
local function price(kind, pool, weight, streams)
  if streams <= 0 or weight <= 0 then return 0 end
  if kind == 'p' then return math.floor(pool * weight / (streams * SHARE_SCALE) + 0.5) end
  return math.floor(pool * weight / streams + 0.5)
end
local function grown(streams, priced, step)
  return streams * SHARE_SCALE > priced * (SHARE_SCALE + step)
end
local totals_of = {a = {':gross'}, p = {':amount'}, s = {':suspense'}, b = {':gross', ':amount'}, t = {':tgross'}}

-- Everything the batch changes, summed over its listeners: one call per hash field (and
-- per artist and fan) at the end rather than one per listener and target.
local function bump(into, outer, inner, delta)
  if delta == 0 then return end
  local sums = into[outer]
  if not sums then sums = {}; into[outer] = sums end
  sums[inner] = (sums[inner] or 0) + delta
end
local sums = {}  -- hash -> {field -> change}
local function add(hash, id, delta) bump(sums, hash, id, delta) end
local fans = {}  -- artist -> {listener -> score change}
local function fan(artist, listener, delta) bump(fans, artist, listener, delta) end
local function money(kind, id, delta)
  if delta == 0 then return end
  for _, hash in ipairs(totals_of[kind]) do add(hash, id, delta) end
end

local totals = p .. ':totals'
local data = cjson.decode(ARGV[3])
for listener, d in pairs(data) do
  local lk = p .. ':l:' .. listener
  local state = redis.call('HMGET', lk, 'P', 'T', 'rev', 'Q', 'R', 'F')
  local old_pool = tonumber(state[1]) or 0
  local old_streams = tonumber(state[2]) or 0
  local priced_pool, priced_streams = tonumber(state[4]) or 0, tonumber(state[5]) or 0
  local fan_streams = tonumber(state[6]) or 0
  local pool = old_pool
  if d.rev then
    pool = d.rev
  elseif state[3] ~= '1' and d.plan and d.plan > pool then
    pool = d.plan
  end
  local streams = old_streams + (d.n or 0)
  add(':totals', 'pools', pool - old_pool)
  add(':totals', 'streams', d.n or 0)
  local old_unallocated = (old_streams == 0) and old_pool or 0
  local new_unallocated = (streams == 0) and pool or 0
  add(':totals', 'unallocated', new_unallocated - old_unallocated)

  -- This update's weights, and the counts that follow from them.
  local played, weights = {}, {}  -- target -> weight this update added, weight now
  if d.w then
    for target, inc in pairs(d.w) do
      local kind, id = string.sub(target, 1, 1), string.sub(target, 3)
      local weight = redis.call('HINCRBY', lk, 'w:' .. target, int(inc))
      played[target], weights[target] = inc, weight
      if kind == 'a' or kind == 'b' then
        -- A listener counts once per artist, whichever kinds of its tracks it played.
        local other = (kind == 'a') and 'w:b:' or 'w:a:'
        if weight == inc and (tonumber(redis.call('HGET', lk, other .. id)) or 0) == 0 then
          add(':listeners', id, 1)
        end
        add(':streams', id, inc)
        if kind == 'b' then add(':pweights', id, inc * SHARE_SCALE) end
      elseif kind == 'p' then
        add(':pweights', id, inc)
        if weight == inc then add(':plisteners', id, 1) end
      elseif kind == 's' then
        add(':sstreams', id, inc)
      elseif kind == 't' then
        if weight == inc then add(':tlisteners', id, 1) end
        add(':tstreams', id, inc)
      end
    end
  end

  local full = pool ~= priced_pool or grown(streams, priced_streams, STEP)
  local fans_full = full and (pool ~= priced_pool or grown(streams, fan_streams, FAN_STEP))
  if full then
    -- Every target from its last price to the new one (weights as they are after this
    -- update; what it added was not priced before).
    local fields = redis.call('HGETALL', lk)
    local W = string.byte('w')
    for i = 1, #fields, 2 do
      local name = fields[i]
      if string.byte(name, 1) == W then  -- 'w:<kind>:<id>'; the other fields are one letter
        local target = string.sub(name, 3)
        local kind, id = string.sub(name, 3, 3), string.sub(name, 5)
        local weight = tonumber(fields[i + 1])
        local before = weight - (played[target] or 0)
        money(kind, id, price(kind, pool, weight, streams) - price(kind, priced_pool, before, priced_streams))
        if kind == 'a' or kind == 'b' then
          if fans_full then
            fan(id, listener, price(kind, pool, weight, streams) - price(kind, priced_pool, before, fan_streams))
          elseif played[target] then
            fan(id, listener, price(kind, priced_pool, weight, fan_streams) - price(kind, priced_pool, before, fan_streams))
          end
        end
      end
    end
  else
    -- Only what this update played, priced as the listener was last priced.
    for target, inc in pairs(played) do
      local kind, id, weight = string.sub(target, 1, 1), string.sub(target, 3), weights[target]
      money(kind, id, price(kind, priced_pool, weight, priced_streams) - price(kind, priced_pool, weight - inc, priced_streams))
      if kind == 'a' or kind == 'b' then
        fan(id, listener,
          price(kind, priced_pool, weight, fan_streams) - price(kind, priced_pool, weight - inc, fan_streams))
      end
    end
  end
  local fields = {'P', int(pool), 'T', int(streams)}
  if d.rev then fields[#fields + 1] = 'rev'; fields[#fields + 1] = '1' end
  if full then
    fields[#fields + 1] = 'Q'; fields[#fields + 1] = int(pool)
    fields[#fields + 1] = 'R'; fields[#fields + 1] = int(streams)
  end
  if fans_full then
    fields[#fields + 1] = 'F'; fields[#fields + 1] = int(streams)
  end
  redis.call('HSET', lk, unpack(fields))
end
for hash, deltas in pairs(sums) do
  for id, delta in pairs(deltas) do
    if delta ~= 0 then redis.call('HINCRBY', p .. hash, id, int(delta)) end
  end
end
for artist, scores in pairs(fans) do
  for listener, delta in pairs(scores) do
    if delta ~= 0 then redis.call('ZINCRBY', p .. ':fans:' .. artist, int(delta), listener) end
  end
end
redis.call('HSET', totals, 'updated_at', ARGV[4], 'format', FORMAT, 'step', ARGV[7], 'fans_step', ARGV[8])
return 'ok'
