-- Apply one shard's part of a merged update to a month's live pools, atomically.
--
-- KEYS[1] the shard's totals hash (<prefix>:totals; every key used shares its hash tag,
--         so the whole call stays in one Redis Cluster slot)
-- ARGV[1] the shard's key prefix (kx:live:YYYY-MM:{tag})
-- ARGV[2] batch marker ('' for absolute updates that are idempotent by themselves)
-- ARGV[3] update time (ISO 8601)
-- ARGV[4] a rebuild's token when called by that rebuild (it holds the shard's rebuild flag)
-- ARGV[5] 'existing' when the month was written to before, so the shard's state must be here
-- ARGV[6] a JSON array of one record per listener, flat: id, streams to add, plan pool,
--         recorded-revenue pool (false when none), the number k of targets, then k pairs
--         (target, weight to add). One argument rather than thousands: the client packs
--         each argument on its own, and that cost more than the script.
-- ARGV[7] a JSON array of the whole update's plays per id, flat: hash suffix (':streams'
--         per artist, ':tstreams' per catalog ISRC, ':sstreams' per unmatched ISRC), id,
--         plays to add. One shard of the update gets them, summed over all its listeners
--         (store.apply_update); the others get '[]'. Reads add these hashes up over the shards.
--
-- Targets: 'a:<artist>' (weight = streams), 'p:<payee>' (weight = streams x share x 1e6),
-- 'b:<artist>' (a track paying 100% to its artist: both at once), 's:<isrc>' (unmatched:
-- suspense), 't:<isrc>' (a catalog track).
--
-- Only counts are written: a play costs the same however long its listener's history is.
-- Money is computed when somebody reads it (artist.lua, tracks.lua) from the listeners of
-- what is read (docs/rules.md §2 Estimates vs finals), so nothing here is ever re-priced.
-- Per listener: its pool in hash P, its streams in hash T, a recorded revenue in set R.
-- Per artist or payee id, hashes of its listeners: m:<id> with the streams of its 'b:'
-- tracks, ma:<id> with the streams of its split tracks ('a:'), w:<id> with streams x share
-- x 1e6 of the tracks that pay it by a split ('p:'); per track, tl:<isrc> with its streams.
-- Hashes, not sorted sets: a read takes every listener anyway, nothing needs them ordered,
-- and HINCRBY costs Redis less than ZINCRBY (which also keeps its scores as doubles).
-- Counts that a read would otherwise have to add up are kept as such: streams per artist,
-- per track and per unmatched ISRC.
-- Returns 'ok', 'dup', 'busy' or 'lost'.
local p = ARGV[1]
local totals = KEYS[1]
if ARGV[4] ~= '' then
  -- Checked here, atomically with the write: a Redis restarted (or flushed) since the
  -- caller looked must not get a lone update that then passes for the whole month, and
  -- a rebuild whose flag expired or went to another rebuild must stop writing.
  local holder = redis.call('GET', p .. ':rebuilding')
  if holder ~= ARGV[4] then
    -- Nobody rebuilds now: what this rebuild wrote is partial, so the month must read as
    -- missing (the next update rebuilds it). Another rebuild's state is left alone.
    if not holder then redis.call('DEL', totals) end
    return 'lost'
  end
elseif redis.call('EXISTS', p .. ':rebuilding') == 1 then
  return 'busy'
end
-- State written by another layout reads as lost and is rebuilt from PostgreSQL.
local FORMAT = '4'
local kept = redis.call('HGET', totals, 'format')
if ARGV[5] == 'existing' and not kept then return 'lost' end
if ARGV[4] == '' and kept and kept ~= FORMAT then return 'lost' end
if ARGV[2] ~= '' then
  -- 40 days: longer than any month stays open for live updates.
  if not redis.call('SET', p .. ':b:' .. ARGV[2], '1', 'NX', 'EX', 3456000) then
    return 'dup'
  end
end

local function int(x) return string.format('%d', x) end

-- Counts the update changes, summed over its listeners: one call per hash field at the
-- end rather than one per listener and target.
local sums = {}  -- hash suffix -> {field -> change}
local function add(hash, id, delta)
  if delta == 0 then return end
  local into = sums[hash]
  if not into then into = {}; sums[hash] = into end
  into[id] = (into[id] or 0) + delta
end

local pools, streams_of, recorded = p .. ':P', p .. ':T', p .. ':R'
local r = cjson.decode(ARGV[6])
local i = 1
local n = #r
while i <= n do
  local listener = r[i]
  local plays, plan, rev, k = r[i + 1], r[i + 2], r[i + 3], r[i + 4]
  local old_pool = tonumber(redis.call('HGET', pools, listener)) or 0
  local streams = redis.call('HINCRBY', streams_of, listener, plays)
  local old_streams = streams - plays
  local pool = old_pool
  if rev then
    pool = rev
    redis.call('SADD', recorded, listener)
  elseif plan > pool and redis.call('SISMEMBER', recorded, listener) == 0 then
    pool = plan
  end
  if pool ~= old_pool then redis.call('HSET', pools, listener, int(pool)) end
  add(':totals', 'pools', pool - old_pool)
  add(':totals', 'streams', plays)
  local old_unallocated = (old_streams == 0) and old_pool or 0
  local new_unallocated = (streams == 0) and pool or 0
  add(':totals', 'unallocated', new_unallocated - old_unallocated)

  for j = i + 5, i + 4 + 2 * k, 2 do
    local target, inc = r[j], r[j + 1]
    local kind, id = string.sub(target, 1, 1), string.sub(target, 3)
    if kind == 'b' then
      redis.call('HINCRBY', p .. ':m:' .. id, listener, inc)
    elseif kind == 'a' then
      redis.call('HINCRBY', p .. ':ma:' .. id, listener, inc)
    elseif kind == 'p' then
      redis.call('HINCRBY', p .. ':w:' .. id, listener, inc)
    elseif kind == 't' then
      redis.call('HINCRBY', p .. ':tl:' .. id, listener, inc)
    end
  end
  i = i + 5 + 2 * k
end
local c = cjson.decode(ARGV[7])
for j = 1, #c, 3 do add(c[j], c[j + 1], c[j + 2]) end
for hash, deltas in pairs(sums) do
  for id, delta in pairs(deltas) do
    if delta ~= 0 then redis.call('HINCRBY', p .. hash, id, int(delta)) end
  end
end
redis.call('HSET', totals, 'updated_at', ARGV[3], 'format', FORMAT)
return 'ok'
