-- One shard's part of catalog tracks' live gross, computed from each track's own listeners.
--
-- KEYS[1] the shard's totals hash (for the slot), ARGV[1] the shard's key prefix,
-- ARGV[2...] ISRCs. Returns, per ISRC, its gross in units (as a string) and the number of
-- listeners read: round(P x streams of the track / T) per listener, as in artist.lua.
local p = ARGV[1]
local BLOCK = 1000  -- ids per HMGET (Lua's unpack has a limit)
local out = {}
for j = 2, #ARGV do
  local flat = redis.call('HGETALL', p .. ':tl:' .. ARGV[j])
  local gross = 0
  for first = 1, #flat, 2 * BLOCK do
    local last = math.min(first + 2 * BLOCK - 1, #flat)
    local block = {}
    for x = first, last, 2 do block[#block + 1] = flat[x] end
    local ps = redis.call('HMGET', p .. ':P', unpack(block))
    local ts = redis.call('HMGET', p .. ':T', unpack(block))
    for x = 1, #block do
      local t = tonumber(ts[x]) or 0
      if t > 0 then
        gross = gross + math.floor((tonumber(ps[x]) or 0) * tonumber(flat[first + 2 * x - 1]) / t + 0.5)
      end
    end
  end
  out[#out + 1] = string.format('%d', gross)
  out[#out + 1] = tostring(#flat / 2)
end
return out
