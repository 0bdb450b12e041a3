-- One shard's part of an artist's live figures, computed from the artist's own listeners.
--
-- KEYS[1] the artist's 'b:' listeners in the shard (<prefix>:m:<artist>)
-- ARGV[1] the shard's key prefix, ARGV[2] the artist id, ARGV[3] how many top fans to return
--
-- A listener with pool P (units of 1e-9 of the currency) and T streams in the month gives
-- round(P x weight / T) for each weight (docs/rules.md §2): its streams of the artist's
-- tracks towards the gross; its streams x share x 1e6 as a payee towards the amount.
-- Returns {gross, amount, payee weight, listeners, contributions rounded, then per top fan:
-- id, units, streams}, fans best first (ties by id), numbers as strings (a Lua reply would
-- turn them into doubles).
local p, artist, k = ARGV[1], ARGV[2], tonumber(ARGV[3])
local SHARE_SCALE = 1000000
local BLOCK = 1000  -- ids per HMGET (Lua's unpack has a limit)

-- The fields of a hash of listeners: ids, weights and exact values P x w / T / scale.
local function priced(key, scale)
  local flat = redis.call('HGETALL', key)
  local ids, weights, values = {}, {}, {}
  for first = 1, #flat, 2 * BLOCK do
    local block = {}
    for x = first, math.min(first + 2 * BLOCK - 1, #flat), 2 do block[#block + 1] = flat[x] end
    local ps = redis.call('HMGET', p .. ':P', unpack(block))
    local ts = redis.call('HMGET', p .. ':T', unpack(block))
    for x = 1, #block do
      local n = #ids + 1
      local w, t = tonumber(flat[first + 2 * x - 1]), tonumber(ts[x]) or 0
      ids[n], weights[n] = block[x], w
      values[n] = (t > 0) and ((tonumber(ps[x]) or 0) * w / (t * scale)) or 0
    end
  end
  return ids, weights, values
end

local function rounded_sum(values)
  local sum = 0
  for _, v in ipairs(values) do sum = sum + math.floor(v + 0.5) end
  return sum
end

local b_ids, b_weights, b_values = priced(KEYS[1], 1)  -- tracks paying all to the artist
local a_ids, a_weights, a_values = priced(p .. ':ma:' .. artist, 1)  -- its split tracks
local p_ids, p_weights, p_values = priced(p .. ':w:' .. artist, SHARE_SCALE)  -- splits paying it
local b_units = rounded_sum(b_values)
local gross = b_units + rounded_sum(a_values)
local amount = b_units + rounded_sum(p_values)
local payee_weight = 0
for _, w in ipairs(b_weights) do payee_weight = payee_weight + w * SHARE_SCALE end
for _, w in ipairs(p_weights) do payee_weight = payee_weight + w end

-- A listener of both kinds of tracks counts once, and ranks as a fan with both.
local fan_ids, fan_streams, fan_values = b_ids, b_weights, b_values
if #a_ids > 0 then
  fan_ids, fan_streams, fan_values = {}, {}, {}
  local at = {}
  for _, list in ipairs({{b_ids, b_weights, b_values}, {a_ids, a_weights, a_values}}) do
    local ids, weights, values = list[1], list[2], list[3]
    for x = 1, #ids do
      local n = at[ids[x]]
      if n then
        fan_streams[n], fan_values[n] = fan_streams[n] + weights[x], fan_values[n] + values[x]
      else
        n = #fan_ids + 1
        at[ids[x]] = n
        fan_ids[n], fan_streams[n], fan_values[n] = ids[x], weights[x], values[x]
      end
    end
  end
end

-- The top k fans in a min-heap (the worst of them at the root).
local heap_fan, heap_units, heap_streams, size = {}, {}, {}, 0
local function worse(x, y)  -- heap positions: x ranks below y
  if heap_units[x] ~= heap_units[y] then return heap_units[x] < heap_units[y] end
  return heap_fan[x] > heap_fan[y]
end
local function swap(x, y)
  heap_fan[x], heap_fan[y] = heap_fan[y], heap_fan[x]
  heap_units[x], heap_units[y] = heap_units[y], heap_units[x]
  heap_streams[x], heap_streams[y] = heap_streams[y], heap_streams[x]
end
if k > 0 then
  for x = 1, #fan_ids do
    local units, fan = math.floor(fan_values[x] + 0.5), fan_ids[x]
    if units > 0 then
      if size < k then
        size = size + 1
        heap_fan[size], heap_units[size], heap_streams[size] = fan, units, fan_streams[x]
        local c = size
        while c > 1 and worse(c, math.floor(c / 2)) do swap(c, math.floor(c / 2)); c = math.floor(c / 2) end
      elseif units > heap_units[1] or (units == heap_units[1] and fan < heap_fan[1]) then
        heap_fan[1], heap_units[1], heap_streams[1] = fan, units, fan_streams[x]
        local c = 1
        while true do
          local l, r, m = 2 * c, 2 * c + 1, c
          if l <= size and worse(l, m) then m = l end
          if r <= size and worse(r, m) then m = r end
          if m == c then break end
          swap(c, m); c = m
        end
      end
    end
  end
end

local out = {
  string.format('%d', gross), string.format('%d', amount), string.format('%d', payee_weight),
  tostring(#fan_ids), tostring(#b_ids + #a_ids + #p_ids),
}
local order = {}
for x = 1, size do order[x] = x end
table.sort(order, function(x, y) return worse(y, x) end)
for _, x in ipairs(order) do
  out[#out + 1] = heap_fan[x]
  out[#out + 1] = string.format('%d', heap_units[x])
  out[#out + 1] = string.format('%d', heap_streams[x])
end
return out
