/**
 * The synthetic traffic of bench/storage.ts, written with ClickHouse doing the work, and the two
 * ways of storing it:
 *
 * - `bench_visits`: one row per visit, generated over numbers(): the visit's pageviews (pages,
 *   offsets in seconds), its engagement and custom events, and what enrichment would know of the
 *   visitor (source, referrer, UTM tags, browser, OS, device, country, ISP domain).
 * - the raw side: Plausible's `events_v2` (one row per event) and `sessions_v2` (one row per
 *   visit), filled from `bench_visits`;
 * - the Skaits side: the rows the real pipeline (session map → cells → the input Null table →
 *   materialized views) would leave in `counts_hourly` and `visitor_sketches` for the same
 *   events, derived by `skaitsCountsInserts` and `skaitsSketchesInserts` (through the working
 *   tables `bench_events`, `bench_page_hours` and `bench_visit_hours`) and inserted straight into
 *   those tables. bench/storage-proof.ts runs a sample of the same events through the real
 *   Ingestor and asserts the rows are equal, so the derivation is checked, not trusted.
 *
 * Shapes: a daily cycle (quiet nights), quieter weekends, a little growth over the month; most
 * visitors come once a day, some two or three times (more than 30 minutes apart, so each is a
 * visit for Skaits and for Plausible alike); 45 % of visits see one page, the others 2–19;
 * 90 % of pageviews end with an engagement event (one in ten without scrolling), 3 % carry a custom
 * event; pages, sources, countries, ISPs, UTM values and browser versions follow Zipf-like laws.
 * A visit never crosses midnight (UTC, the instance time zone here), so a day's numbers are the
 * same whether visits are attributed by their first event (Plausible's sessions) or by each event
 * (Skaits's increments).
 */

export const SECTIONS = ['blog', 'veikals', 'produkti', 'par-mums', 'kontakti', 'jaunumi', 'atbalsts', 'karjera', 'cenas', 'akcijas', 'dokumenti']
const PAGES = 1500

/** [source, channel, referrer host, weight]: Skaits's source names and Plausible's channels. */
const NAMED_SOURCES: [string, string, string, number][] = [
  ['Direct / None', 'Direct', '', 33],
  ['Google', 'Organic Search', 'google.com', 30],
  ['Facebook', 'Organic Social', 'm.facebook.com', 6],
  ['Bing', 'Organic Search', 'bing.com', 3],
  ['inbox.lv', 'Email', 'inbox.lv', 3],
  ['Instagram', 'Organic Social', 'l.instagram.com', 2],
  ['delfi.lv', 'Referral', 'delfi.lv', 2],
  ['DuckDuckGo', 'Organic Search', 'duckduckgo.com', 1.5],
  ['draugiem.lv', 'Organic Social', 'draugiem.lv', 1],
  ['tvnet.lv', 'Referral', 'tvnet.lv', 1],
  ['ss.com', 'Referral', 'ss.com', 0.8],
  ['salidzini.lv', 'Referral', 'salidzini.lv', 0.8],
  ['LinkedIn', 'Organic Social', 'linkedin.com', 0.7],
  ['YouTube', 'Organic Video', 'youtube.com', 0.6],
  ['ChatGPT', 'AI Assistants', 'chatgpt.com', 0.4],
  ['Yandex', 'Organic Search', 'yandex.ru', 0.3],
]
const REFERRAL_TAIL = 60
const TAIL_SHARE = 13

function sources(): { names: string[]; channels: string[]; hosts: string[]; cum: number[] } {
  const rows = [...NAMED_SOURCES]
  const tail = Array.from({ length: REFERRAL_TAIL }, (_, i) => 1 / (i + 1))
  const tailSum = tail.reduce((a, b) => a + b, 0)
  tail.forEach((w, i) => rows.push([`partneris-${i + 1}.lv`, 'Referral', `www.partneris-${i + 1}.lv`, (TAIL_SHARE * w) / tailSum]))
  const total = rows.reduce((a, r) => a + r[3], 0)
  let acc = 0
  const cum = rows.map((r) => (acc += r[3] / total))
  cum[cum.length - 1] = 2 // every draw below 1 lands somewhere
  return { names: rows.map((r) => r[0]), channels: rows.map((r) => r[1]), hosts: rows.map((r) => r[2]), cum }
}

const COUNTRIES = ['LT', 'EE', 'DE', 'GB', 'US', 'FI', 'SE', 'NO', 'PL', 'IE', 'NL', 'FR', 'ES', 'IT', 'UA', 'DK', 'BE', 'AT', 'CH', 'CZ', 'IS', 'CA', 'AU', 'JP', 'IN', 'BR', 'PT', 'GR', 'RO']
const LV_REGIONS = ['LV-RIX', 'LV-062', 'LV-JEL', 'LV-DGV', 'LV-JUR', 'LV-LPX', 'LV-VEN', 'LV-011', 'LV-016', 'LV-080', 'LV-REZ', 'LV-VMR']
const ISPS = ['tet.lv', 'lmt.lv', 'bite.lv', 'tele2.lv', 'balticom.lv', 'baltcom.lv', 'telia.lt', 'elisa.ee', 'vodafone.de', 'telekom.de']
const ISP_COUNT = 300

/** Share of a day's visits starting in each UTC hour (Latvia is UTC+2/+3): quiet nights, busy days. */
const HOUR_WEIGHTS = [0.25, 0.15, 0.1, 0.1, 0.15, 0.35, 0.7, 1.1, 1.4, 1.5, 1.5, 1.45, 1.4, 1.45, 1.5, 1.5, 1.45, 1.4, 1.5, 1.6, 1.5, 1.2, 0.8, 0.45]

export interface GenOptions {
  seed: number
  /** Unix seconds of the first day's start (UTC) */
  fromS: number
  days: number
  /** no event at or after this instant (Unix seconds): the real clock's "now" */
  nowS: number
  /** visitors (first visits of a day) to spread over the period */
  visitors: number
}

/**
 * How many visitors arrive in each complete hour of the period (stochastic rounding, so totals
 * stay close to `visitors`). The current, incomplete hour gets none.
 */
export function arrivals(o: GenOptions): { starts: number[]; counts: number[] } {
  const lastFull = Math.floor(o.nowS / 3600) * 3600
  const slots: { start: number; w: number }[] = []
  for (let i = 0; i < o.days * 24; i++) {
    const start = o.fromS + i * 3600
    if (start + 3600 > lastFull) break
    const dow = new Date(start * 1000).getUTCDay()
    const weekend = dow === 0 || dow === 6 ? 0.72 : 1
    const growth = 1 + (0.2 * i) / (o.days * 24)
    const noise = 0.92 + 0.16 * frac(Math.sin(i * 12.9898 + o.seed) * 43758.5453)
    slots.push({ start, w: HOUR_WEIGHTS[i % 24]! * weekend * growth * noise })
  }
  const sum = slots.reduce((a, s) => a + s.w, 0)
  let carry = 0
  const counts = slots.map((s) => {
    const exact = (o.visitors * s.w) / sum + carry
    const n = Math.floor(exact)
    carry = exact - n
    return n
  })
  return { starts: slots.map((s) => s.start), counts }
}

function frac(x: number): number {
  return x - Math.floor(x)
}

/** A uniform draw in [0, 1) fixed by the visit and a tag (and an index inside the visit). */
const u = (tag: number, index?: string) => `((cityHash64(vid, ${tag}${index ? `, ${index}` : ''}) % 16777216) / 16777216.)`
/** A Zipf-like rank in [0, n): P(k) ∝ 1/(k+1). */
const zipf = (n: number, draw: string) => `(toUInt32(floor(pow(${n + 1}, ${draw}))) - 1)`

/**
 * The model's one event that carries revenue, a purchase of 4.99–199.99 EUR (log-uniform, whole
 * euros less a cent), in minor units: fixed by the visit (`vid`) and its pageview (`j`), so the
 * raw side, the equivalence proof and the goal rows' derivation read the same amount.
 */
export const REVENUE = { event: 'Purchase', currency: 'EUR', minor: `toInt64(floor(5 * pow(40, ${u(950, 'j')})) * 100 - 1)` }

/** Longest possible visit in seconds (19 pageviews 290 s apart, 600 s on the last page). */
const MAX_VISIT_S = 18 * 290 + 600
/** A visitor's next visit starts at least this long after the previous one could have ended. */
const VISIT_SPACING_S = MAX_VISIT_S + 31 * 60 + 3600

/** Page paths by rank (0 is the home page): `/section/raksts-<rank>-<8 hex digits>`. */
export function pagePaths(): string[] {
  return Array.from({ length: PAGES }, (_, r) => {
    if (r === 0) return '/'
    let h = 2166136261
    for (const ch of String(r * 2654435761)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0
    return `/${SECTIONS[r % SECTIONS.length]}/raksts-${r}-${h.toString(16).padStart(8, '0')}`
  })
}
/** The page path of a rank, and the section (the path's first segment) of a rank or section id. */
export const pageOf = (rank: string) => `{pagePaths:Array(String)}[${rank} + 1]`
export const sectionId = (rank: string) => `if(${rank} = 0, 0, ${rank} % ${SECTIONS.length} + 1)`
export const sectionOfId = (id: string) => `if(${id} = 0, '/', {sections:Array(String)}[${id}])`

/**
 * The SELECT producing `bench_visits` rows; query parameters in `genParams`. Lambdas take the
 * arrays they read as arguments rather than capturing them: a captured array is copied once per
 * element, which made long visits quadratic.
 */
export const GEN_VISITS_SQL = `
SELECT vid, uid, uid AS visitor, start, npv, ranks, T, hasE, offE, engMs, sd, hasC, offC, cname, ckey, cval, vlen,
  source, channel, refHost, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
  os, os_version, browser, browser_version, device, country, region, city, isp
FROM (
  SELECT *,
    toUInt32(intDiv(slot_ts, 86400) * 86400) AS day_start,
    least(day_start + 86399, {nowS:UInt32} - 60) AS latest,
    slot_ts + toUInt32(3600 * ${u(2)}) + vi * ${VISIT_SPACING_S} + if(vi > 0, toUInt32(3600 * ${u(3)}), 0) AS start0,
    if(start0 + vlen > latest, latest - vlen, start0) AS start,

    toUInt32(if(${u(4)} < 0.45, 1, least(19, 2 + floor(-log(1 - ${u(5)}) * 2.2)))) AS npv,
    range(1, npv + 1) AS js,
    arrayMap(j -> toUInt16(if(j = 1, ${zipf(PAGES, `pow(${u(100, 'j')}, 1.7)`)}, ${zipf(PAGES, u(100, 'j'))})), js) AS ranks,
    arrayMap(j -> toUInt32(4 + least(286, floor(-log(1 - ${u(200, 'j')}) * 50))), js) AS gaps,
    arrayMap((c, g) -> toUInt32(c - g), arrayCumSum(gaps), gaps) AS T,
    arrayMap(j -> toUInt8(${u(300, 'j')} < 0.9), js) AS hasE,
    arrayMap((j, g) -> toUInt32(if(j < npv, 1 + floor(${u(400, 'j')} * (g - 2)), 1 + least(599, floor(-log(1 - ${u(400, 'j')}) * 40)))), js, gaps) AS offE,
    arrayMap((j, o) -> toUInt32(floor(o * 1000 * (0.3 + 0.7 * ${u(500, 'j')}))), js, offE) AS engMs,
    arrayMap(j -> toUInt8(if(${u(601, 'j')} < 0.1, 0, least(100, floor(pow(${u(600, 'j')}, 0.6) * 101)))), js) AS sd,
    arrayMap((j, h, o) -> toUInt8(${u(700, 'j')} < 0.03 AND (NOT h OR o >= 2)), js, hasE, offE) AS hasC,
    arrayMap((h, o) -> toUInt32(if(h, intDiv(o, 2), 1)), hasE, offE) AS offC,
    arrayMap(j -> ${u(800, 'j')}, js) AS cpick,
    arrayMap((x, c) -> if(c, multiIf(x < 0.55, 'Outbound Link: Click', x < 0.8, 'File Download', x < 0.95, 'Signup', 'Purchase'), ''), cpick, hasC) AS cname,
    arrayMap((x, c) -> if(c, multiIf(x < 0.8, 'url', x < 0.95, 'plan', ''), ''), cpick, hasC) AS ckey,
    arrayMap((x, j, c) -> if(c, multiIf(
      x < 0.55, concat('https://partneris-', toString(1 + cityHash64(vid, 900, j) % 40), '.lv/'),
      x < 0.8, concat('https://bench.lv/faili/dokuments-', toString(1 + cityHash64(vid, 900, j) % 60), '.pdf'),
      x < 0.95, if(${u(901, 'j')} < 0.7, 'free', 'pro'), ''), ''), cpick, js, hasC) AS cval,
    T[npv] + if(hasE[npv], offE[npv], if(hasC[npv], offC[npv], 0)) AS vlen,

    arrayFirstIndex(c -> c >= ${u(1001)}, {srcCum:Array(Float64)}) AS si,
    {srcNames:Array(String)}[si] AS source,
    {srcChannels:Array(String)}[si] AS channel,
    {srcHosts:Array(String)}[si] AS refHost,
    if(refHost = '', '', if(channel = 'Organic Search' OR ${u(1002)} < 0.5, refHost,
      concat(refHost, '/raksti/', toString(cityHash64(vid, 1003) % 500)))) AS referrer,
    ${u(1010)} < if(channel IN ('Email', 'Organic Social'), 0.6, 0.04) AS hasUtm,
    if(hasUtm, multiIf(channel = 'Email', 'newsletter', channel = 'Organic Social', lower(source), 'partneris'), '') AS utm_source,
    if(hasUtm, multiIf(channel = 'Email', 'email', channel = 'Organic Social', 'social', 'referral'), '') AS utm_medium,
    if(hasUtm, concat('kampana-', toString(${zipf(25, u(1011))} + 1)), '') AS utm_campaign,
    if(hasUtm AND ${u(1012)} < 0.3, concat('saturs-', toString(${zipf(10, u(1013))} + 1)), '') AS utm_content,
    if(hasUtm AND ${u(1014)} < 0.2, concat('vards-', toString(${zipf(20, u(1015))} + 1)), '') AS utm_term,

    ${u(1020)} AS ox,
    multiIf(ox < 0.38, 'Windows', ox < 0.68, 'Android', ox < 0.85, 'iOS', ox < 0.95, 'Mac', ox < 0.99, 'GNU/Linux', 'Chrome OS') AS os,
    multiIf(os = 'Windows', if(${u(1021)} < 0.7, '10', '11'),
      os = 'Android', toString(greatest(8, 15 - toInt32(floor(-log(1 - ${u(1021)}) * 1.5)))),
      os = 'iOS', ['18.1', '18.0', '17.6', '17.5', '16.7', '15.8'][${zipf(6, u(1021))} + 1],
      os = 'Mac', '10.15', '') AS os_version,
    ${u(1030)} AS bx,
    multiIf(os = 'iOS', if(bx < 0.85, 'Safari', 'Chrome'),
      os = 'Mac', multiIf(bx < 0.5, 'Safari', bx < 0.9, 'Chrome', 'Firefox'),
      os = 'Android', multiIf(bx < 0.75, 'Chrome', bx < 0.95, 'Samsung Internet', 'Firefox'),
      os = 'Windows', multiIf(bx < 0.65, 'Chrome', bx < 0.9, 'Edge', bx < 0.98, 'Firefox', 'Opera'),
      if(bx < 0.6, 'Firefox', 'Chrome')) AS browser,
    toString(multiIf(browser IN ('Chrome', 'Edge'), 131, browser = 'Firefox', 133, browser = 'Safari', 18, browser = 'Opera', 114, 27)
      - least(15, toInt32(floor(-log(1 - ${u(1031)}) * 1.3)))) AS browser_version,
    if(os IN ('Android', 'iOS'), if(${u(1032)} < 0.9, 'Mobile', 'Tablet'), if(${u(1032)} < 0.55, 'Desktop', 'Laptop')) AS device,
    if(${u(1040)} < 0.72, 'LV', {countries:Array(String)}[${zipf(COUNTRIES.length, u(1041))} + 1]) AS country,
    if(country = 'LV', {lvRegions:Array(String)}[${zipf(LV_REGIONS.length, u(1042))} + 1],
      concat(country, '-', toString(${zipf(8, u(1042))} + 1))) AS region,
    toUInt32(cityHash64(region, ${zipf(12, u(1043))}) % 10000000) AS city,
    if(${u(1050)} < 0.08, '(unknown)', {isps:Array(String)}[${zipf(ISP_COUNT, u(1051))} + 1]) AS isp
  FROM (
    SELECT slot_ts, uid, arrayJoin(range(multiIf(ux < 0.88, 1, ux < 0.97, 2, 3))) AS vi, cityHash64(uid, vi, 7) AS vid
    FROM (
      SELECT s.1 AS slot_ts, cityHash64({seed:UInt64}, s.1, arrayJoin(range(s.2))) AS uid, (cityHash64(uid, 1) % 16777216) / 16777216. AS ux
      FROM (SELECT arrayJoin(arrayZip({slotStarts:Array(UInt32)}, {slotCounts:Array(UInt32)})) AS s)
    )
  )
)
WHERE (vi = 0 OR start0 + vlen <= latest) AND start >= day_start`

export function genParams(o: GenOptions): Record<string, unknown> {
  const src = sources()
  const { starts, counts } = arrivals(o)
  const isps = [...ISPS, ...Array.from({ length: ISP_COUNT - ISPS.length }, (_, i) => `isp-${i + 1}.lv`)]
  return {
    seed: o.seed,
    nowS: o.nowS,
    slotStarts: starts,
    slotCounts: counts,
    sections: SECTIONS,
    pagePaths: pagePaths(),
    srcNames: src.names,
    srcChannels: src.channels,
    srcHosts: src.hosts,
    srcCum: src.cum,
    countries: COUNTRIES,
    lvRegions: LV_REGIONS,
    isps,
  }
}

/** Visit attributes are LowCardinality: copied onto each of a visit's events, they move as small indexes. */
export const BENCH_VISITS_DDL = (table: string) => `
CREATE TABLE ${table}
(
  vid UInt64, uid UInt64, visitor UInt64, start UInt32, npv UInt32,
  ranks Array(UInt16), T Array(UInt32), hasE Array(UInt8), offE Array(UInt32), engMs Array(UInt32),
  sd Array(UInt8), hasC Array(UInt8), offC Array(UInt32), cname Array(String), ckey Array(String), cval Array(String), vlen UInt32,
  source LowCardinality(String), channel LowCardinality(String), refHost LowCardinality(String), referrer LowCardinality(String),
  utm_source LowCardinality(String), utm_medium LowCardinality(String), utm_campaign LowCardinality(String),
  utm_content LowCardinality(String), utm_term LowCardinality(String),
  os LowCardinality(String), os_version LowCardinality(String), browser LowCardinality(String), browser_version LowCardinality(String),
  device LowCardinality(String), country LowCardinality(String), region LowCardinality(String), city UInt32, isp LowCardinality(String)
)
ENGINE = Memory`

/**
 * A visit's events in order, as a FROM clause: its pageviews (ARRAY JOIN), then each pageview's
 * events: kind 0 the pageview, 1 a custom event on that page, 2 the page's engagement event.
 * `carry` lists the visit columns kept on each row, `more` further per-pageview arrays
 * (`array AS alias`). Two levels of query: ClickHouse 26.7 loses a column of the first ARRAY JOIN
 * that only a second ARRAY JOIN in the same SELECT reads.
 */
const events = (from: string, carry: string, more = '') => `(
  SELECT ${carry}, j, rank, t, hc, oc, he, oe, em, sdv, cn, ck, cv${more.replace(/[^,]+ AS (\w+)/g, ' $1')}, kinds
  FROM ${from}
  ARRAY JOIN range(1, npv + 1) AS j, ranks AS rank, T AS t, hasC AS hc, offC AS oc, hasE AS he, offE AS oe,
    engMs AS em, sd AS sdv, cname AS cn, ckey AS ck, cval AS cv${more},
    arrayMap((c, h) -> arrayFilter(k -> k = 0 OR (k = 1 AND c) OR (k = 2 AND h), [toUInt8(0), 1, 2]), hasC, hasE) AS kinds
)
ARRAY JOIN kinds AS kind`
/** The event's offset in seconds from the visit's start; offsets strictly increase within a visit. */
const AT = 't + multiIf(kind = 0, 0, kind = 1, oc, oe)'

// ─── The raw side: Plausible's tables ────────────────────────────────────────────────────────

/**
 * Plausible's events and sessions tables as their ingest repo defines them: columns, types,
 * codecs, engines, partitioning, ORDER BY, SAMPLE BY and index granularity follow
 * plausible/analytics priv/ingest_repo/structure.sql (the schema dump after migration
 * 20250912094034, which adds `batch`). Left out: ALIAS columns (they take no space) and the
 * dictionaries behind `acquisition_channel`'s MATERIALIZED expression, so that column is a plain
 * stored LowCardinality column filled with the same value. Added: `isp`, a LowCardinality column
 * Plausible does not have, so the raw side can answer Skaits's ISP panel at all.
 */
export const RAW_DDL = [
  'CREATE DATABASE IF NOT EXISTS plausible',
  `CREATE TABLE IF NOT EXISTS plausible.events_v2
(
    timestamp DateTime CODEC(Delta(4), LZ4),
    name LowCardinality(String),
    site_id UInt64,
    user_id UInt64,
    session_id UInt64,
    hostname String CODEC(ZSTD(3)),
    pathname String CODEC(ZSTD(3)),
    referrer String CODEC(ZSTD(3)),
    referrer_source String CODEC(ZSTD(3)),
    country_code FixedString(2),
    screen_size LowCardinality(String),
    operating_system LowCardinality(String),
    browser LowCardinality(String),
    utm_medium String CODEC(ZSTD(3)),
    utm_source String CODEC(ZSTD(3)),
    utm_campaign String CODEC(ZSTD(3)),
    \`meta.key\` Array(String) CODEC(ZSTD(3)),
    \`meta.value\` Array(String) CODEC(ZSTD(3)),
    browser_version LowCardinality(String),
    operating_system_version LowCardinality(String),
    subdivision1_code LowCardinality(String),
    subdivision2_code LowCardinality(String),
    city_geoname_id UInt32,
    utm_content String CODEC(ZSTD(3)),
    utm_term String CODEC(ZSTD(3)),
    revenue_reporting_amount Nullable(Decimal(18, 3)),
    revenue_reporting_currency FixedString(3),
    revenue_source_amount Nullable(Decimal(18, 3)),
    revenue_source_currency FixedString(3),
    channel LowCardinality(String),
    click_id_param LowCardinality(String),
    scroll_depth UInt8,
    acquisition_channel LowCardinality(String),
    engagement_time UInt32,
    batch UInt64,
    isp LowCardinality(String),
    INDEX minmax_batch batch TYPE minmax GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
PRIMARY KEY (site_id, toDate(timestamp), name, user_id)
ORDER BY (site_id, toDate(timestamp), name, user_id, timestamp)
SAMPLE BY user_id
SETTINGS index_granularity = 8192`,
  `CREATE TABLE IF NOT EXISTS plausible.sessions_v2
(
    session_id UInt64,
    sign Int8,
    site_id UInt64,
    user_id UInt64,
    hostname String CODEC(ZSTD(3)),
    timestamp DateTime CODEC(Delta(4), LZ4),
    start DateTime CODEC(Delta(4), LZ4),
    is_bounce UInt8,
    entry_page String CODEC(ZSTD(3)),
    exit_page String CODEC(ZSTD(3)),
    pageviews Int32,
    events Int32,
    duration UInt32,
    referrer String CODEC(ZSTD(3)),
    referrer_source String CODEC(ZSTD(3)),
    country_code LowCardinality(FixedString(2)),
    screen_size LowCardinality(String),
    operating_system LowCardinality(String),
    browser LowCardinality(String),
    utm_medium String CODEC(ZSTD(3)),
    utm_source String CODEC(ZSTD(3)),
    utm_campaign String CODEC(ZSTD(3)),
    browser_version LowCardinality(String),
    operating_system_version LowCardinality(String),
    subdivision1_code LowCardinality(String),
    subdivision2_code LowCardinality(String),
    city_geoname_id UInt32,
    utm_content String CODEC(ZSTD(3)),
    utm_term String CODEC(ZSTD(3)),
    transferred_from String,
    \`entry_meta.key\` Array(String) CODEC(ZSTD(3)),
    \`entry_meta.value\` Array(String) CODEC(ZSTD(3)),
    exit_page_hostname String CODEC(ZSTD(3)),
    channel LowCardinality(String),
    click_id_param LowCardinality(String),
    acquisition_channel LowCardinality(String),
    batch UInt64,
    isp LowCardinality(String),
    INDEX minmax_timestamp timestamp TYPE minmax GRANULARITY 1,
    INDEX minmax_batch batch TYPE minmax GRANULARITY 1
)
ENGINE = VersionedCollapsingMergeTree(sign, events)
PARTITION BY toYYYYMM(start)
PRIMARY KEY (site_id, toDate(start), user_id, session_id)
ORDER BY (site_id, toDate(start), user_id, session_id)
SAMPLE BY user_id
SETTINGS index_granularity = 8192`,
]

const RAW_PAID = `kind = 1 AND cn = '${REVENUE.event}'`
// nullIf, not if(…, NULL): a Nullable column keeps a value under each NULL, and `if` leaves there
// what its other branch computed (a random amount on every event: 3 bytes per event on disk, each);
// Plausible's inserts leave zeros.
const RAW_AMOUNT = `nullIf(if(${RAW_PAID}, toDecimal64(${REVENUE.minor}, 3) / 100, 0), 0)`
const RAW_CURRENCY = `if(${RAW_PAID}, '${REVENUE.currency}', '')`

/** `batch` is only set by Plausible's cloud relay; the self-hosted (embedded) persistor leaves it 0. */
const BATCH = 'toUInt64(0)'

/**
 * One row per event, as Plausible's ingest writes it (session attributes copied onto every event).
 * A purchase's revenue is kept as Plausible keeps it when the site has a revenue goal for the
 * event in the site's currency, as the bench's site has (storage-goals.ts): source and reporting
 * amounts alike.
 */
export const rawEventsInsert = (from: string, into = 'plausible.events_v2') => `
INSERT INTO ${into} (timestamp, name, site_id, user_id, session_id, hostname, pathname, referrer,
  referrer_source, country_code, screen_size, operating_system, browser, utm_medium, utm_source, utm_campaign,
  \`meta.key\`, \`meta.value\`, browser_version, operating_system_version, subdivision1_code, subdivision2_code,
  city_geoname_id, utm_content, utm_term, revenue_reporting_amount, revenue_reporting_currency, revenue_source_amount,
  revenue_source_currency, channel, click_id_param, scroll_depth, acquisition_channel, engagement_time, batch, isp)
SELECT toDateTime(start + ${AT}, 'UTC'), multiIf(kind = 0, 'pageview', kind = 1, cn, 'engagement'),
  {siteId:UInt64}, uid, vid, 'bench.lv', ${pageOf('rank')}, referrer,
  if(source = 'Direct / None', '', source), country, device, os, browser, utm_medium, utm_source, utm_campaign,
  if(kind = 1 AND ck != '', [ck], []), if(kind = 1 AND ck != '', [cv], []),
  concat(browser_version, '.0'), os_version, region, '',
  city, utm_content, utm_term, ${RAW_AMOUNT}, ${RAW_CURRENCY}, ${RAW_AMOUNT},
  ${RAW_CURRENCY}, channel, '', if(kind = 2, sdv, 0), channel, if(kind = 2, em, 0), ${BATCH}, isp
FROM ${events(from, 'vid, uid, start, referrer, source, country, device, os, browser, utm_medium, utm_source, utm_campaign, browser_version, os_version, region, city, utm_content, utm_term, channel, isp')}`

/**
 * A visit's final state, the one row per session that remains after Plausible's collapsing
 * merges. A bounce: one pageview and no custom event (an interactive event ends a bounce in
 * Plausible's session cache, and in Skaits since goals).
 */
export const rawSessionsInsert = (from: string) => `
INSERT INTO plausible.sessions_v2 (session_id, sign, site_id, user_id, hostname, timestamp, start, is_bounce, entry_page,
  exit_page, pageviews, events, duration, referrer, referrer_source, country_code, screen_size, operating_system,
  browser, utm_medium, utm_source, utm_campaign, browser_version, operating_system_version, subdivision1_code,
  subdivision2_code, city_geoname_id, utm_content, utm_term, transferred_from, \`entry_meta.key\`, \`entry_meta.value\`,
  exit_page_hostname, channel, click_id_param, acquisition_channel, batch, isp)
SELECT vid, 1, {siteId:UInt64}, uid, 'bench.lv', toDateTime(start + vlen, 'UTC'), toDateTime(start, 'UTC'), npv = 1 AND NOT hasC[1],
  ${pageOf('ranks[1]')}, ${pageOf('ranks[npv]')}, npv, npv + arraySum(hasC), vlen, referrer, if(source = 'Direct / None', '', source), country,
  device, os, browser, utm_medium, utm_source, utm_campaign, concat(browser_version, '.0'), os_version, region,
  '', city, utm_content, utm_term, '', [], [],
  'bench.lv', channel, '', channel, ${BATCH}, isp
FROM ${from}`

/**
 * Skaits's visit dimensions (what enrichment fixes at a visit's start), from a raw event row:
 * what the stub enricher of the equivalence proof hands to the real Ingestor. Values Skaits
 * does not have are left out, as Enricher.visitDimensions leaves them out.
 */
export const RAW_VISIT_DIMS = `arrayFilter(d -> d.2 != '', [
  ('visit:source', if(referrer_source = '', 'Direct / None', referrer_source)),
  ('visit:referrer', splitByChar('/', referrer)[1]),
  ('visit:channel', acquisition_channel),
  ('visit:utm_source', utm_source), ('visit:utm_medium', utm_medium), ('visit:utm_campaign', utm_campaign),
  ('visit:utm_content', utm_content), ('visit:utm_term', utm_term),
  ('visit:browser', browser), ('visit:browser_version', splitByChar('.', browser_version)[1]),
  ('visit:os', operating_system), ('visit:os_version', operating_system_version),
  ('visit:device', screen_size), ('visit:country', toString(country_code)), ('visit:isp', isp)])`

// ─── The Skaits side: what the real pipeline leaves in counts_hourly and visitor_sketches ─────

/**
 * One row per event with what the session map (server/sessions/sessions.ts) knows when the
 * event arrives: `at` its offset in the visit and `prev` the previous event's, the pageview
 * index `j`, the page `P`, the previous exit page `X` and the entry page `E` (page ranks),
 * whether the page (`pvFirst`), its section (`secFirst`) or its engagement (`engFirst`) is new
 * to the visit, the deepest scroll reported earlier for the page (`prevMax`, -1 none), `pe`
 * the visit's events (pageviews and custom) before this pageview, and `ub` whether the event
 * takes back the visit's bounce: a custom event on the first page (interactive, as the model's
 * all are) or else the second pageview. A working table of the benchmark only (ENGINE =
 * Memory), never part of either side's storage.
 */
export const BENCH_EVENTS_DDL = `
CREATE TABLE bench_events
(
  vid UInt64, visitor UInt64, hour DateTime('UTC'), kind UInt8, j UInt32, at UInt32, prev UInt32,
  P UInt16, X UInt16, E UInt16, pvFirst UInt8, secFirst UInt8, engFirst UInt8, prevMax Int16, sdv UInt8, em UInt32,
  cn String, ck String, cv String, pe UInt32, ub UInt8
)
ENGINE = Memory`

export const benchEventsInsert = (from: string) => `
INSERT INTO bench_events
SELECT vid, visitor, toStartOfHour(toDateTime(start + ${AT}, 'UTC')), kind, j, ${AT},
  multiIf(kind = 0, pl, kind = 1, t, t + if(hc, oc, 0)),
  rank, x, e, pr = 1, sr = 1, er = 1, pm, sdv, em, cn, ck, cv, pe, (kind = 1 AND j = 1) OR (kind = 0 AND j = 2 AND NOT c1)
FROM ${events(
  `(SELECT *,
    ranks[1] AS e,
    hasC[1] AS c1,
    arrayPushFront(arrayPopBack(ranks), toUInt16(0)) AS xs,
    arrayMap((h, o, c, q) -> if(h, o, if(c, q, 0)), hasE, offE, hasC, offC) AS lastOff,
    arrayPushFront(arrayPopBack(arrayMap((tt, l) -> tt + l, T, lastOff)), toUInt32(0)) AS prevLast,
    arrayMap((jj, c, h) -> toUInt32(jj - 1 + c - h), range(1, npv + 1), arrayCumSum(hasC), hasC) AS prevEvents,
    arrayEnumerateUniq(ranks) AS pvRank,
    arrayEnumerateUniq(arrayMap(r -> ${sectionId('r')}, ranks)) AS secRank,
    arrayEnumerateUniq(arrayMap((r, h, jj) -> if(h, toUInt32(r), 100000 + jj), ranks, hasE, range(1, npv + 1))) AS engRank,
    arrayMap((jj, n, r) -> if(n = 1, toInt16(-1),
        arrayMax(arrayMap((k, r2, h, s) -> if(k < jj AND h AND r2 = r, toInt16(s), toInt16(-1)), range(1, npv + 1), ranks, hasE, sd))),
      range(1, npv + 1), engRank, ranks) AS prevMax
  FROM ${from})`,
  'vid, visitor, start, e, c1',
  ', xs AS x, prevLast AS pl, prevEvents AS pe, pvRank AS pr, secRank AS sr, engRank AS er, prevMax AS pm',
)}`

const INCS = ['pageviews', 'visits', 'bounces', 'duration', 'events', 'entries', 'exits', 'engaged_ms', 'engaged_n', 'scroll_sum', 'scroll_n'] as const
/**
 * Per hour and page, what the session logic adds to page, section and exit-page rows, in three
 * roles a page plays for an event (sessions.ts: startVisit, continueVisit, extend, engage,
 * addEventRows):
 * - role 0, the event's own page: a pageview; a visit the first time the visit sees the page (or
 *   its section); entry, exit and bounce at a visit's first pageview; an exit at every pageview;
 *   a custom event; engaged time and scroll. As exit page it receives the visit so far.
 * - role 1, the previous exit page at a later pageview: it loses the exit, and as exit page the
 *   whole visit as it was (but its bounce, role 2).
 * - role 2, the entry page (the exit page too, then) at the event that takes back the bounce
 *   (`ub`): a custom event on the first page, else the second pageview (Sessions.unbounce).
 * Sections get their pages' sums, except visits, which count once per section (`sec_visits`).
 */
export const BENCH_PAGE_HOURS_CREATE = `
CREATE TABLE bench_page_hours ENGINE = Memory AS
SELECT hour, P AS page,
  toInt64(countIf(kind = 0)) AS pageviews, toInt64(countIf(kind = 0 AND pvFirst)) AS visits,
  toInt64(countIf(kind = 0 AND secFirst)) AS sec_visits, toInt64(countIf(kind = 0 AND j = 1)) AS bounces,
  toInt64(countIf(kind != 2)) AS events, toInt64(countIf(kind = 0 AND j = 1)) AS entries, toInt64(countIf(kind = 0)) AS exits,
  toInt64(sumIf(em, kind = 2)) AS engaged_ms, toInt64(countIf(kind = 2 AND engFirst)) AS engaged_n,
  toInt64(sumIf(sdv - greatest(prevMax, 0), kind = 2 AND sdv > prevMax)) AS scroll_sum,
  toInt64(countIf(kind = 2 AND sdv > prevMax AND prevMax < 0)) AS scroll_n,
  toInt64(sumIf(j, kind = 0)) AS x_pageviews, toInt64(countIf(kind = 0)) AS x_visits,
  toInt64(countIf(kind = 0 AND j = 1)) AS x_bounces, toInt64(sum(if(kind = 0, at, at - prev))) AS x_duration,
  toInt64(sum(multiIf(kind = 0, pe + 1, kind = 1, 1, 0))) AS x_events
FROM bench_events GROUP BY hour, P
UNION ALL
SELECT hour, X, 0, 0, 0, 0, 0, 0, -toInt64(count()), 0, 0, 0, 0,
  -toInt64(sum(j - 1)), -toInt64(count()), 0, -toInt64(sum(prev)), -toInt64(sum(pe))
FROM bench_events WHERE kind = 0 AND j >= 2 GROUP BY hour, X
UNION ALL
SELECT hour, E, 0, 0, 0, -toInt64(count()), 0, 0, 0, 0, 0, 0, 0, 0, 0, -toInt64(count()), 0, 0
FROM bench_events WHERE ub GROUP BY hour, E`

/** The event name, custom properties, and the engagement the site total receives. */
const OTHER_ROWS = `
  SELECT 'event:name' AS dim, hour, if(kind = 0, 'pageview', cn) AS key, toInt64(1) AS events, toInt64(0) AS engaged_ms,
    toInt64(0) AS engaged_n, toInt64(0) AS scroll_sum, toInt64(0) AS scroll_n
  FROM bench_events WHERE kind != 2
  UNION ALL
  SELECT concat('event:props:', ck), hour, cv, 1, 0, 0, 0, 0 FROM bench_events WHERE kind = 1 AND ck != ''
  UNION ALL
  SELECT '', hour, '', 0, em, engFirst, if(sdv > prevMax, sdv - greatest(prevMax, 0), 0), sdv > prevMax AND prevMax < 0
  FROM bench_events WHERE kind = 2`

/** Skaits's visit dimensions (what enrichment fixes when a visit starts), as `bench_visits` columns. */
export const VISIT_DIMS: [string, string][] = [
  ['visit:source', 'source'],
  ['visit:referrer', 'refHost'],
  ['visit:channel', 'channel'],
  ['visit:utm_source', 'utm_source'],
  ['visit:utm_medium', 'utm_medium'],
  ['visit:utm_campaign', 'utm_campaign'],
  ['visit:utm_content', 'utm_content'],
  ['visit:utm_term', 'utm_term'],
  ['visit:browser', 'browser'],
  ['visit:browser_version', 'browser_version'],
  ['visit:os', 'os'],
  ['visit:os_version', 'os_version'],
  ['visit:device', 'device'],
  ['visit:country', 'country'],
  ['visit:isp', 'isp'],
]

/**
 * The site total, the entry page and every visit dimension take the same increments from each
 * event (a visit and a bounce at the first pageview, the bounce taken back at `ub`,
 * pageviews, events, duration as it grows), so they are summed once per visit and hour, with the
 * visit's dimensions alongside. `uq`: the hour holds a pageview or custom event (the visitor
 * counts towards the hour's unique visitors; an engagement event alone does not). A visit within
 * one hour sums to its totals; only visits spanning hours are summed event by event.
 */
export const benchVisitHoursCreate = (visits: string) => {
  const dims = VISIT_DIMS.map(([, c]) => `toLowCardinality(${c}) AS ${c}`).join(', ')
  const oneHour = "toStartOfHour(toDateTime(start, 'UTC')) = toStartOfHour(toDateTime(start + vlen, 'UTC'))"
  return `
CREATE TABLE bench_visit_hours ENGINE = Memory AS
SELECT toStartOfHour(toDateTime(start, 'UTC')) AS hour, visitor, toUInt8(1) AS uq, toInt64(npv) AS pageviews, toInt64(1) AS visits,
  toInt64(npv = 1 AND NOT hasC[1]) AS bounces, toInt64(vlen) AS duration, toInt64(npv + arraySum(hasC)) AS events, ranks[1] AS entry, ${dims}
FROM ${visits} WHERE ${oneHour}
UNION ALL
SELECT hour, visitor, uq, pageviews, visits, bounces, duration, events, ranks[1] AS entry, ${dims}
FROM (SELECT * FROM ${visits} WHERE NOT ${oneHour}) AS v
INNER JOIN (
  SELECT vid, hour, max(kind != 2) AS uq,
    toInt64(countIf(kind = 0)) AS pageviews, toInt64(countIf(kind = 0 AND j = 1)) AS visits,
    toInt64(sum(multiIf(kind = 0 AND j = 1, 1, ub, -1, 0))) AS bounces,
    toInt64(sum(at - prev)) AS duration, toInt64(countIf(kind != 2)) AS events
  FROM bench_events WHERE vid IN (SELECT vid FROM ${visits} WHERE NOT ${oneHour}) GROUP BY vid, hour
) AS h USING vid`
}

/**
 * The site total, the entry page and each visit dimension, as (dimension, value expression, key):
 * one GROUP BY each over `bench_visit_hours`, keyed by the LowCardinality column itself, which
 * ClickHouse groups by dictionary index without spelling the strings out row by row.
 */
const VISIT_CELLS: [string, string, string][] = [
  ['', "''", "''"],
  ['visit:entry_page', pageOf('entry'), 'entry'],
  ...VISIT_DIMS.map(([d, c]): [string, string, string] => [d, `toString(${c})`, c]),
]
const visitCellWhere = (key: string) => (key === "''" || key === 'entry' ? '1' : `${key} != ''`)
const VISIT_SUMS = ['pageviews', 'visits', 'bounces', 'duration', 'events']

/** Large insert blocks: one part per partition, and the tables' projections built once. */
export const ONE_BLOCK = 'SETTINGS min_insert_block_size_rows = 100000000, min_insert_block_size_bytes = 100000000000'

/**
 * INSERT … SELECT of the counts_hourly rows the pipeline writes for the events in `bench_events`
 * and `bench_visit_hours`. Several SELECTs may give one row (the site total gets visit
 * increments and engagement): SummingMergeTree adds them up, as it does the pipeline's.
 */
export function skaitsCountsInsert(): string {
  const into = `INSERT INTO counts_hourly (site, dimension, hour, value, ${INCS.join(', ')})`
  const pageSums = (visits: string) =>
    `sum(pageviews), sum(${visits}), sum(bounces), 0, sum(events), sum(entries), sum(exits), sum(engaged_ms), sum(engaged_n), sum(scroll_sum), sum(scroll_n)`
  const nonzero = (cols: string[]) => `HAVING ${cols.map((c) => `sum(${c}) != 0`).join(' OR ')}`
  const pageCols = ['pageviews', 'visits', 'bounces', 'events', 'entries', 'exits', 'engaged_ms', 'engaged_n', 'scroll_sum', 'scroll_n']
  const selects = [
    `SELECT {site:String}, 'event:page', hour, ${pageOf('page')}, ${pageSums('visits')}
     FROM bench_page_hours GROUP BY hour, page ${nonzero(pageCols)}`,
    `SELECT {site:String}, 'event:section', hour, ${sectionOfId('sid')}, ${pageSums('sec_visits')}
     FROM bench_page_hours GROUP BY hour, ${sectionId('page')} AS sid ${nonzero(pageCols.map((c) => (c === 'visits' ? 'sec_visits' : c)))}`,
    `SELECT {site:String}, 'visit:exit_page', hour, ${pageOf('page')},
       sum(x_pageviews), sum(x_visits), sum(x_bounces), sum(x_duration), sum(x_events), 0, 0, 0, 0, 0, 0
     FROM bench_page_hours GROUP BY hour, page ${nonzero(['x_pageviews', 'x_visits', 'x_bounces', 'x_duration', 'x_events'])}`,
    `SELECT {site:String}, dim, hour, key, 0, 0, 0, 0, sum(events), 0, 0, sum(engaged_ms), sum(engaged_n), sum(scroll_sum), sum(scroll_n)
     FROM (${OTHER_ROWS}) GROUP BY dim, hour, key ${nonzero(['events', 'engaged_ms', 'engaged_n', 'scroll_sum', 'scroll_n'])}`,
    ...VISIT_CELLS.map(
      ([dim, value, key]) => `SELECT {site:String}, '${dim}', hour, ${value}, ${VISIT_SUMS.map((k) => `sum(${k})`).join(', ')}, 0, 0, 0, 0, 0, 0
     FROM bench_visit_hours WHERE ${visitCellWhere(key)} GROUP BY hour, ${key} ${nonzero(VISIT_SUMS)}`,
    ),
  ]
  return `${into}\n${selects.join('\nUNION ALL\n')}\n${ONE_BLOCK}`
}

/** INSERT … SELECT of the visitor_sketches rows: uniqState of the visitors of cells that count them. */
export function skaitsSketchesInsert(): string {
  const into = 'INSERT INTO visitor_sketches (site, day, hour, dimension, value, visitors)'
  const uniques = (dim: string, key: string, where: string, value: string) => `
    SELECT {site:String}, toDate(hour), hour, ${dim}, ${value}, st FROM (
      SELECT hour, ${key} AS key, uniqState(visitor) AS st FROM bench_events WHERE ${where} GROUP BY hour, key)`
  const selects = [
    uniques("'event:page'", 'P', 'kind != 2', pageOf('key')),
    uniques("'event:section'", sectionId('P'), 'kind != 2', sectionOfId('key')),
    uniques("'event:name'", "if(kind = 0, 'pageview', cn)", 'kind != 2', 'key'),
    `SELECT {site:String}, toDate(hour), hour, concat('event:props:', ck), cv, uniqState(visitor)
     FROM bench_events WHERE kind = 1 AND ck != '' GROUP BY hour, ck, cv`,
    ...VISIT_CELLS.map(
      ([dim, value, key]) => `SELECT {site:String}, toDate(hour), hour, '${dim}', ${value}, uniqState(visitor)
     FROM bench_visit_hours WHERE uq AND ${visitCellWhere(key)} GROUP BY hour, ${key}`,
    ),
  ]
  return `${into}\n${selects.join('\nUNION ALL\n')}\n${ONE_BLOCK}`
}
