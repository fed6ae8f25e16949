-- Hours survive a day's rollup for the site total alone. Per dimension value, an hour of a
-- small site often holds a single visit: the same closed hour asked by country, ISP, browser,
-- source and entry page rebuilt that visit's whole record, the cross-tabulation Skaits never
-- keeps. From now on the rollup writes hourly unique visitors for dimension '' only and moves
-- a closed day's per-dimension counts to one row per value at the day's first hour
-- (server/rollup/rollup.ts, coarsenCounts; days closed before this migration are coarsened by
-- the first maintenance run after it, in the instance's TIMEZONE). Hourly unique visitors per
-- value cannot be coarsened, only dropped: visitors_daily has every day's.
ALTER TABLE visitors_hourly DELETE WHERE dimension != '';
