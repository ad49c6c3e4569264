/**
 * The Lua scripts the Redis store runs. A script runs alone on the server, so each one is a
 * transaction: a read script sees one snapshot, a write script is applied whole or not at all.
 *
 * How a write of many chunks stays invisible until it is complete (the generation scheme):
 * every entity hash holds, per view, two slots (see layout.ts), each a record tagged with the
 * generation that wrote it. A record counts only when its generation is committed:
 * `base <= tag <= c` and not in the view's dead set. The record a reader sees is the newer
 * (event time, then created time) of the committed ones.
 * - A small write (one chunk, e.g. a push) is one WRITE script with generation 0: it compares
 *   with the visible record and replaces it in place, tagged with the committed generation `c`,
 *   so it is visible the moment the script ends.
 * - A larger write takes the view's lock and a new generation `g` (BEGIN), writes each chunk
 *   into the slot not holding the visible record (WRITE with `g`), and makes all of them
 *   visible at once by setting `c = g` (COMMIT). Until then readers skip records tagged `g`;
 *   if the writer dies, its lease expires and the next BEGIN adds `g` to the dead set, so its
 *   records are never seen and their slots are reused.
 * - A push during a materialization replaces the visible record in place; when the
 *   materialization commits, readers take the newer of the two records, so newer still wins.
 * - Recreating a view's layout starts a new `base`: every older record stops counting at once.
 */

const PREAMBLE = `
local NO_CREATED = -9e15
local function parse(h)
  if not h then return nil end
  local t, e, c = string.match(h, '^(%d+):([^:]*):(.*)$')
  return { tag = tonumber(t), ts = tonumber(e), cts = (c == '' and NO_CREATED or tonumber(c)) }
end
local function newer(a, b)
  return a.ts > b.ts or (a.ts == b.ts and a.cts > b.cts)
end
-- The index (1 or 2) of the visible slot among two parsed records, or nil. Ties go to the
-- smaller generation: the record that was committed first.
local function visible(s, committed, skip)
  local eff
  for k = 1, 2 do
    local r = s[k]
    if r and r.tag ~= skip and committed(r.tag) then
      if not eff or newer(r, s[eff]) or (not newer(s[eff], r) and r.tag < s[eff].tag) then eff = k end
    end
  end
  return eff
end
local function judge(base, c, dead)
  local verdict = {}
  return function(t)
    local v = verdict[t]
    if v == nil then
      v = t >= base and t <= c and redis.call('SISMEMBER', dead, t) == 0
      verdict[t] = v
    end
    return v
  end
end
`;

/**
 * READ. KEYS: meta, then per view its dead set and its entity keys. ARGV: view count, then per
 * view: name, feature count, features, key count. Returns per view and key either nil (no
 * visible record) or the record's header followed by one value per feature (nil = NULL).
 */
export const READ = `${PREAMBLE}
local meta = KEYS[1]
local out, n = {}, 0
local a, k = 2, 2
for _ = 1, tonumber(ARGV[1]) do
  local view, nf = ARGV[a], tonumber(ARGV[a + 1])
  local nk = tonumber(ARGV[a + 2 + nf])
  local st = redis.call('HMGET', meta, view .. '.base', view .. '.c')
  local base = tonumber(st[1])
  if not base then
    for _ = 1, nk do n = n + 1; out[n] = false end
  else
    local committed = judge(base, tonumber(st[2]), KEYS[k])
    local fields = { '_ts:' .. view, '_ts:' .. view .. '~' }
    for j = 1, nf do
      fields[2 + j] = view .. ':' .. ARGV[a + 1 + j]
      fields[2 + nf + j] = view .. '~:' .. ARGV[a + 1 + j]
    end
    for i = 1, nk do
      local r = redis.call('HMGET', KEYS[k + i], unpack(fields))
      local eff = visible({ parse(r[1]), parse(r[2]) }, committed)
      n = n + 1
      if not eff then out[n] = false
      else
        out[n] = r[eff]
        local off = 2 + (eff - 1) * nf
        for j = 1, nf do n = n + 1; out[n] = r[off + j] end
      end
    end
  end
  a = a + 3 + nf
  k = k + 1 + nk
end
return out
`;

/**
 * WRITE one chunk. KEYS: meta, lock, dead, one entity key per row. ARGV: view, generation (0 =
 * write visibly now), lock token, lease ms, key ttl ms (0 = none), newest event time of the
 * call (applied here when the generation is 0), feature count, features, then per row: event
 * ms, created ms ('' = none), null mask ('' = no NULL, else '1' per NULL feature), values.
 * Returns the number of rows that replaced or created the record of their key.
 */
export const WRITE = `${PREAMBLE}
local meta, lock, dead = KEYS[1], KEYS[2], KEYS[3]
local view, gen, ttl, nf = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5]), tonumber(ARGV[7])
local st = redis.call('HMGET', meta, view .. '.base', view .. '.c', view .. '.inflight', view .. '.newest')
local base, inflight = tonumber(st[1]), tonumber(st[3])
if not base then return redis.error_reply('MLF_NO_TABLE') end
if gen > 0 then
  if redis.call('GET', lock) ~= ARGV[3] or inflight ~= gen then return redis.error_reply('MLF_LOST_LOCK') end
  redis.call('PEXPIRE', lock, ARGV[4])
end
local tag = gen > 0 and ARGV[2] or st[2]
local committed = judge(base, tonumber(st[2]), dead)
local h0, h1 = '_ts:' .. view, '_ts:' .. view .. '~'
local names = { {}, {} }
for j = 1, nf do
  names[1][j] = view .. ':' .. ARGV[7 + j]
  names[2][j] = view .. '~:' .. ARGV[7 + j]
end
local written = 0
local a = 8 + nf
for i = 4, #KEYS do
  local key = KEYS[i]
  local ts, cts, mask = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local row = { ts = tonumber(ts), cts = (cts == '' and NO_CREATED or tonumber(cts)) }
  local h = redis.call('HMGET', key, h0, h1)
  local s = { parse(h[1]), parse(h[2]) }
  local own
  if gen > 0 then
    if s[1] and s[1].tag == gen then own = 1 elseif s[2] and s[2].tag == gen then own = 2 end
  end
  local eff = visible(s, committed, gen)
  if not ((eff and not newer(row, s[eff])) or (own and not newer(row, s[own]))) then
    local target
    if own then target = own
    elseif gen > 0 then target = (eff == 2) and 1 or 2
    elseif eff then target = eff
    elseif s[1] and s[1].tag == inflight then target = 2
    else target = 1 end
    local args = { target == 1 and h0 or h1, tag .. ':' .. ts .. ':' .. cts }
    local nulls = {}
    local fields = names[target]
    for j = 1, nf do
      if mask ~= '' and string.byte(mask, j) == 49 then nulls[#nulls + 1] = fields[j]
      else
        args[#args + 1] = fields[j]
        args[#args + 1] = ARGV[a + 2 + j]
      end
    end
    redis.call('HSET', key, unpack(args))
    if #nulls > 0 then redis.call('HDEL', key, unpack(nulls)) end
    if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
    written = written + 1
  end
  a = a + 3 + nf
end
if gen == 0 and ARGV[6] ~= '' and (not st[4] or tonumber(ARGV[6]) > tonumber(st[4])) then
  redis.call('HSET', meta, view .. '.newest', ARGV[6])
end
return written
`;

/**
 * BEGIN a generation. KEYS: meta, lock, dead. ARGV: view, token, lease ms. Returns the new
 * generation, or 0 when another writer holds the lock. A generation left in flight by a
 * writer whose lease expired is declared dead here.
 */
export const BEGIN = `
local meta, view = KEYS[1], ARGV[1]
if not redis.call('HGET', meta, view .. '.base') then return redis.error_reply('MLF_NO_TABLE') end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 0 end
local prev = redis.call('HGET', meta, view .. '.inflight')
if prev then redis.call('SADD', KEYS[3], prev) end
local g = redis.call('HINCRBY', meta, 'gen', 1)
redis.call('HSET', meta, view .. '.inflight', g)
return g
`;

/** COMMIT a generation. KEYS: meta, lock. ARGV: view, token, generation, newest event time of the call. */
export const COMMIT = `
local meta, view = KEYS[1], ARGV[1]
local st = redis.call('HMGET', meta, view .. '.inflight', view .. '.newest')
if redis.call('GET', KEYS[2]) ~= ARGV[2] or st[1] ~= ARGV[3] then return redis.error_reply('MLF_LOST_LOCK') end
redis.call('HSET', meta, view .. '.c', ARGV[3])
redis.call('HDEL', meta, view .. '.inflight')
if ARGV[4] ~= '' and (not st[2] or tonumber(ARGV[4]) > tonumber(st[2])) then
  redis.call('HSET', meta, view .. '.newest', ARGV[4])
end
redis.call('DEL', KEYS[2])
return 1
`;

/** ABORT a generation: it becomes dead. KEYS: meta, lock, dead. ARGV: view, token, generation. */
export const ABORT = `
if redis.call('GET', KEYS[2]) == ARGV[2] then
  if redis.call('HGET', KEYS[1], ARGV[1] .. '.inflight') == ARGV[3] then
    redis.call('SADD', KEYS[3], ARGV[3])
    redis.call('HDEL', KEYS[1], ARGV[1] .. '.inflight')
  end
  redis.call('DEL', KEYS[2])
end
return 1
`;

/** RENEW the lease. KEYS: lock. ARGV: token, lease ms. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/**
 * ENSURE a view's layout. KEYS: meta, lock, dead. ARGV: view, layout JSON. Returns 0 when the
 * layout is unchanged, 1 when the view was created, 2 when it was recreated: a new base makes
 * every older record invisible, and a running write loses its lock.
 */
export const ENSURE = `
local meta, view = KEYS[1], ARGV[1]
local current = redis.call('HGET', meta, view .. '.layout')
if current == ARGV[2] then return 0 end
local g = redis.call('HINCRBY', meta, 'gen', 1)
redis.call('HSET', meta, view .. '.layout', ARGV[2], view .. '.base', g, view .. '.c', g)
redis.call('HDEL', meta, view .. '.inflight', view .. '.newest')
redis.call('DEL', KEYS[2], KEYS[3])
if current then return 2 end
return 1
`;

/** DROP a view's state. KEYS: meta, lock, dead. ARGV: view. Its records become invisible at once. */
export const DROP = `
local meta, view = KEYS[1], ARGV[1]
redis.call('HDEL', meta, view .. '.layout', view .. '.base', view .. '.c', view .. '.inflight', view .. '.newest')
redis.call('DEL', KEYS[2], KEYS[3])
return 1
`;

/**
 * SWEEP invisible slots of some views out of some entity hashes (after a drop or a layout
 * change). KEYS: meta, entity keys. ARGV: views. A slot is removed when its view has no layout
 * or its generation is older than the view's base; a hash left empty disappears.
 */
export const SWEEP = `
local bases = {}
for i = 1, #ARGV do bases[i] = tonumber(redis.call('HGET', KEYS[1], ARGV[i] .. '.base')) end
for k = 2, #KEYS do
  local key, fields = KEYS[k], nil
  for i = 1, #ARGV do
    for _, suffix in ipairs({ '', '~' }) do
      local name = '_ts:' .. ARGV[i] .. suffix
      local h = redis.call('HGET', key, name)
      if h and (not bases[i] or tonumber(string.match(h, '^(%d+):')) < bases[i]) then
        fields = fields or redis.call('HKEYS', key)
        local prefix = ARGV[i] .. suffix .. ':'
        local del = { name }
        for _, f in ipairs(fields) do
          if string.sub(f, 1, #prefix) == prefix then del[#del + 1] = f end
        end
        redis.call('HDEL', key, unpack(del))
      end
    end
  end
end
return 1
`;
