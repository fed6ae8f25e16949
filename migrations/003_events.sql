-- Events in transit. ENGINE = Null stores nothing: the materialized views below fold every
-- inserted row into aggregates and the row itself is gone.
-- Each event carries "cells": one entry per (dimension, value) it touches,
-- with the increments to add there. A session is expressed as increments (a visit and a bounce
-- at the first pageview, the bounce taken back at the second, duration as it grows, the exit
-- page moved as the visitor moves), so every aggregate below is a plain sum.
CREATE TABLE IF NOT EXISTS events_in
(
    site       LowCardinality(String),
    ts         DateTime('UTC'),
    day        Date,      -- the visitor salt's day, in the instance time zone
    visitor    UInt64,    -- keyed daily hash; only ever reaches the 48 h sketch table
    cells Nested
    (
        dimension  LowCardinality(String),
        value      String,
        uniq       UInt8,   -- 1 where the visitor counts towards unique visitors
        pageviews  Int32,
        visits     Int32,
        bounces    Int32,
        duration   Int64,   -- seconds
        events     Int32,
        entries    Int32,
        exits      Int32,
        engaged_ms Int64,
        engaged_n  Int32,
        scroll_sum Int64,
        scroll_n   Int32
    )
)
ENGINE = Null;
