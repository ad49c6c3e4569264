/**
 * The Lua scripts the Redis store runs. A script runs alone on the server, so each one is a
 * transaction: a read script sees one snapshot, a write script is applied whole or not at all.
 * The per-row work is kept to one HMGET, two header matches and one HSET: at 512 rows per
 * script the Lua time is the materialization's bottleneck.
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
-- generation, event ms, created ms of a stored record (see record.ts), or nil
local function hdr(h)
  if not h then return nil end
  local t, e, c = string.match(h, '^(%d+):([^:]*):([^|]*)|')
  return tonumber(t), tonumber(e), (c == '' and NO_CREATED or tonumber(c))
end
-- Whether records of generation t count; the dead set is only asked when it is not empty.
local function judge(base, c, dead, ndead)
  local verdict = {}
  local anyDead = (tonumber(ndead) or 0) > 0
  return function(t)
    local v = verdict[t]
    if v == nil then
      v = t >= base and t <= c and not (anyDead and redis.call('SISMEMBER', dead, t) == 1)
      verdict[t] = v
    end
    return v
  end
end
-- The visible slot (1 or 2, 0 for none) of two parsed records: the newer committed one, ties
-- to the smaller generation (the record committed first). Records tagged skip never count.
local function visible(committed, skip, t1, e1, c1, t2, e2, c2)
  local ok1 = t1 ~= nil and t1 ~= skip and committed(t1)
  local ok2 = t2 ~= nil and t2 ~= skip and committed(t2)
  if ok1 and ok2 then
    if e2 > e1 or (e2 == e1 and (c2 > c1 or (c2 == c1 and t2 < t1))) then return 2 end
    return 1
  end
  if ok1 then return 1 end
  if ok2 then return 2 end
  return 0
end
`;

/**
 * READ. KEYS: meta, then per view its dead set and its entity keys. ARGV: view count, then per
 * view: name, layout digest, key count. Returns per view and key the visible record, or nil
 * (all nil for a view without a table); an error when a view's layout differs.
 */
export const READ = `${PREAMBLE}
local meta = KEYS[1]
local out, n = {}, 0
local a, k = 2, 2
for _ = 1, tonumber(ARGV[1]) do
  local view, nk = ARGV[a], tonumber(ARGV[a + 2])
  local st = redis.call('HMGET', meta, view .. '.base', view .. '.c', view .. '.layout', view .. '.ndead')
  local base = tonumber(st[1])
  if base and st[3] ~= ARGV[a + 1] then return redis.error_reply('MLF_LAYOUT ' .. view) end
  if not base then
    for _ = 1, nk do n = n + 1; out[n] = false end
  else
    local committed = judge(base, tonumber(st[2]), KEYS[k], st[4])
    local f1, f2 = view, view .. '~'
    for i = 1, nk do
      local r = redis.call('HMGET', KEYS[k + i], f1, f2)
      local t1, e1, c1 = hdr(r[1])
      local t2, e2, c2 = hdr(r[2])
      local eff = visible(committed, nil, t1, e1, c1, t2, e2, c2)
      n = n + 1
      if eff == 0 then out[n] = false else out[n] = r[eff] end
    end
  end
  a = a + 3
  k = k + 1 + nk
end
return out
`;

/**
 * WRITE one chunk. KEYS: meta, lock, dead, one entity key per row. ARGV: view, generation (0 =
 * write visibly now), lock token, lease ms, key ttl ms (0 = none), newest event time of the
 * call (applied here when the generation is 0), layout digest, then the rows' records without
 * their generation, each preceded by its uint32 LE length (record.ts). Returns the number of
 * rows that replaced or created their key's record.
 */
export const WRITE = `${PREAMBLE}
local meta, lock, dead = KEYS[1], KEYS[2], KEYS[3]
local view, gen, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5])
local st = redis.call('HMGET', meta, view .. '.base', view .. '.c', view .. '.inflight', view .. '.newest', view .. '.layout', view .. '.ndead')
local base, inflight = tonumber(st[1]), tonumber(st[3])
if not base then return redis.error_reply('MLF_NO_TABLE') end
if st[5] ~= ARGV[7] then return redis.error_reply('MLF_LAYOUT ' .. view) end
if gen > 0 then
  if redis.call('GET', lock) ~= ARGV[3] or inflight ~= gen then return redis.error_reply('MLF_LOST_LOCK') end
  redis.call('PEXPIRE', lock, ARGV[4])
end
local tag = (gen > 0 and ARGV[2] or st[2]) .. ':'
local committed = judge(base, tonumber(st[2]), dead, st[6])
local f1, f2 = view, view .. '~'
local written = 0
local batch, at = ARGV[8], 1
for i = 4, #KEYS do
  local length = struct.unpack('<I4', batch, at)
  local key, rec = KEYS[i], string.sub(batch, at + 4, at + 3 + length)
  at = at + 4 + length
  local h = redis.call('HMGET', key, f1, f2)
  local target
  if not h[1] and not h[2] then
    -- A key this view never wrote (the common case of a first materialization): no comparison.
    target = (gen > 0) and 2 or 1
  else
    local e, c = string.match(rec, '^([^:]*):([^|]*)|')
    e = tonumber(e)
    c = (c == '' and NO_CREATED or tonumber(c))
    local t1, e1, c1 = hdr(h[1])
    local t2, e2, c2 = hdr(h[2])
    local eff = visible(committed, gen, t1, e1, c1, t2, e2, c2)
    local own = 0
    if gen > 0 then
      if t1 == gen then own = 1 elseif t2 == gen then own = 2 end
    end
    -- Newer than the visible record and than this generation's own earlier row of the key.
    local go = true
    if eff == 1 or own == 1 then go = e > e1 or (e == e1 and c > c1) end
    if go and (eff == 2 or own == 2) then go = e > e2 or (e == e2 and c > c2) end
    if go then
      if own > 0 then target = own
      elseif gen > 0 then target = (eff == 2) and 1 or 2
      elseif eff > 0 then target = eff
      elseif t1 ~= nil and t1 == inflight then target = 2
      else target = 1 end
    end
  end
  if target then
    redis.call('HSET', key, target == 1 and f1 or f2, tag .. rec)
    if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
    written = written + 1
  end
end
if gen == 0 and ARGV[6] ~= '' and (not st[4] or tonumber(ARGV[6]) > tonumber(st[4])) then
  redis.call('HSET', meta, view .. '.newest', ARGV[6])
end
return written
`;

/**
 * BEGIN a generation. KEYS: meta, lock, dead. ARGV: view, token, lease ms, layout digest. Returns the new
 * generation, or 0 when another writer holds the lock. A generation left in flight by a
 * writer whose lease expired is declared dead here.
 */
export const BEGIN = `
local meta, view = KEYS[1], ARGV[1]
local st = redis.call('HMGET', meta, view .. '.base', view .. '.layout')
if not st[1] then return redis.error_reply('MLF_NO_TABLE') end
if st[2] ~= ARGV[4] then return redis.error_reply('MLF_LAYOUT ' .. view) end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 0 end
local prev = redis.call('HGET', meta, view .. '.inflight')
if prev then
  redis.call('SADD', KEYS[3], prev)
  redis.call('HINCRBY', meta, view .. '.ndead', 1)
end
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
    redis.call('HINCRBY', KEYS[1], ARGV[1] .. '.ndead', 1)
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
 * ENSURE a view's layout. KEYS: meta, lock, dead. ARGV: view, layout digest. Returns 0 when the
 * layout is unchanged, 1 when the view was created, 2 when it was recreated: a new base makes
 * every older record invisible, and a running write loses its lock.
 */
export const ENSURE = `
local meta, view = KEYS[1], ARGV[1]
local current = redis.call('HGET', meta, view .. '.layout')
if current == ARGV[2] then return 0 end
local g = redis.call('HINCRBY', meta, 'gen', 1)
redis.call('HSET', meta, view .. '.layout', ARGV[2], view .. '.base', g, view .. '.c', g)
redis.call('HDEL', meta, view .. '.inflight', view .. '.newest', view .. '.ndead')
redis.call('DEL', KEYS[2], KEYS[3])
if current then return 2 end
return 1
`;

/** DROP a view's state. KEYS: meta, lock, dead. ARGV: view. Its records become invisible at once. */
export const DROP = `
local meta, view = KEYS[1], ARGV[1]
redis.call('HDEL', meta, view .. '.layout', view .. '.base', view .. '.c', view .. '.inflight', view .. '.newest', view .. '.ndead')
redis.call('DEL', KEYS[2], KEYS[3])
return 1
`;

/**
 * SWEEP invisible records of some views out of some entity hashes (after a drop or a layout
 * change). KEYS: meta, entity keys. ARGV: views. A record is removed when its view has no
 * layout or its generation is older than the view's base; a hash left empty disappears.
 */
export const SWEEP = `
local bases = {}
for i = 1, #ARGV do bases[i] = tonumber(redis.call('HGET', KEYS[1], ARGV[i] .. '.base')) end
for k = 2, #KEYS do
  for i = 1, #ARGV do
    local fields = { ARGV[i], ARGV[i] .. '~' }
    local h = redis.call('HMGET', KEYS[k], fields[1], fields[2])
    for s = 1, 2 do
      if h[s] and (not bases[i] or tonumber(string.match(h[s], '^(%d+):')) < bases[i]) then
        redis.call('HDEL', KEYS[k], fields[s])
      end
    end
  end
end
return 1
`;
