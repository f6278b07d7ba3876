-- Hand-written equivalent of `crm reclassify --as-of 2026-12-31` with the default
-- "classification" and "cadence" policy, for the sqlite3 shell:
--
--     sqlite3 COPY.db < benchmarks/reclassify.sql
--
-- The yardstick of benchmarks/bench_reclassify.py. It does the same work and leaves the
-- same database (the benchmark checks this): grade, value and tier of every customer that
-- is not junk/lost, one history row per changed field with the same reason text, and the
-- cadence due dates of the customers whose tier moved. Window: sales after 2025-12-31
-- through 2026-12-31 (12 months).

.bail on
PRAGMA busy_timeout = 15000;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA foreign_keys = ON;
PRAGMA secure_delete = ON;

BEGIN IMMEDIATE;

-- Net sales per customer in the window, ranked: running share for A/B/C (Pareto, by
-- total desc then code), quintile scores for amount, orders and months with a purchase.
CREATE TEMP TABLE graded AS
WITH agg AS (
    SELECT s.customer_id,
           sum(s.amount_micros) AS total,
           count(CASE WHEN s.amount_micros > 0 THEN 1 END) AS orders,
           count(DISTINCT CASE WHEN s.amount_micros > 0 THEN substr(s.sold_on, 1, 7) END) AS months
    FROM sale s JOIN customer c ON c.id = s.customer_id
    WHERE s.sold_on > '2025-12-31' AND s.sold_on <= '2026-12-31'
      AND c.stage NOT IN ('junk', 'lost')
    GROUP BY s.customer_id
    HAVING sum(s.amount_micros) > 0
),
ranked AS (
    SELECT a.customer_id, a.total, a.orders, a.months,
           sum(a.total) OVER (ORDER BY a.total DESC, c.code ROWS UNBOUNDED PRECEDING) AS running,
           sum(a.total) OVER () AS grand,
           ntile(5) OVER (ORDER BY a.total, c.code) AS m_score,
           ntile(5) OVER (ORDER BY a.orders, c.code) AS f_score,
           ntile(5) OVER (ORDER BY a.months, c.code) AS s_score
    FROM agg a JOIN customer c ON c.id = a.customer_id
)
SELECT customer_id, total, orders, months, running, grand, m_score, f_score, s_score,
       m_score + f_score + s_score AS score,
       -- the customer whose sales cross 70 % (90 %) of the total is still in A (B)
       CASE WHEN (running - total) * 10000 < grand * 7000 THEN 'A'
            WHEN (running - total) * 10000 < grand * 9000 THEN 'B'
            ELSE 'C' END AS grade,
       CASE WHEN m_score + f_score + s_score >= 12 THEN 'high'
            WHEN m_score + f_score + s_score >= 8 THEN 'mid'
            ELSE 'low' END AS value
FROM ranked;
CREATE UNIQUE INDEX temp.graded_customer ON graded (customer_id);

-- What changes: every customer not junk/lost whose grade, value or tier moves.
CREATE TEMP TABLE changes AS
WITH target AS (
    SELECT c.id AS customer_id, c.stage,
           c.grade AS old_grade, g.grade AS new_grade,
           c.value AS old_value, g.value AS new_value,
           c.tier AS old_tier,
           CASE WHEN c.tier_locked THEN c.tier
                WHEN g.grade = 'A' THEN 'core'
                WHEN g.grade = 'B' THEN 'key'
                WHEN g.grade = 'C' THEN 'general'
                WHEN c.stage IN ('lead', 'target', 'qualified') THEN 'potential'
                ELSE c.tier END AS new_tier,
           g.total, g.orders, g.score, g.m_score, g.f_score, g.s_score,
           CAST(round(g.running * 100.0 / g.grand) AS INTEGER) AS share
    FROM customer c LEFT JOIN graded g ON g.customer_id = c.id
    WHERE c.stage NOT IN ('junk', 'lost')
)
SELECT *,
       CASE WHEN new_grade IS NULL
            THEN 'no grade: no net sales in the 12 months to 2026-12-31'
            ELSE 'grade ' || new_grade || ': ¥' || printf('%,d', total / 100)
                 || CASE WHEN total % 100 = 0 THEN '' WHEN total % 100 < 10 THEN '.0' || (total % 100)
                         ELSE '.' || (total % 100) END
                 || ' in 12 months, ' || orders
                 || CASE WHEN orders = 1 THEN ' order' ELSE ' orders' END
                 || ', top ' || share || ' % of sales' END AS grade_reason
FROM target
WHERE old_grade IS NOT new_grade OR old_value IS NOT new_value OR old_tier IS NOT new_tier;

-- One history row per changed field, with the reason.
CREATE TEMP TABLE stamp AS SELECT strftime('%Y-%m-%d %H:%M:%f000', 'now') AS at;

INSERT INTO history (customer_id, at, user, field, old, new, command, reason)
SELECT customer_id, (SELECT at FROM stamp), 'bench', 'grade', old_grade, new_grade,
       'reclassify', grade_reason
FROM changes WHERE old_grade IS NOT new_grade;

INSERT INTO history (customer_id, at, user, field, old, new, command, reason)
SELECT customer_id, (SELECT at FROM stamp), 'bench', 'value', old_value, new_value,
       'reclassify',
       CASE WHEN new_value IS NULL
            THEN 'no value class: no net sales in the 12 months to 2026-12-31'
            ELSE 'value ' || new_value || ': RFM score ' || score || ' = amount ' || m_score
                 || ' + orders ' || f_score || ' + months ' || s_score || ' (quintiles 1–5)' END
FROM changes WHERE old_value IS NOT new_value;

INSERT INTO history (customer_id, at, user, field, old, new, command, reason)
SELECT customer_id, (SELECT at FROM stamp), 'bench', 'tier', old_tier, new_tier,
       'reclassify',
       CASE WHEN new_grade IS NULL
            THEN 'tier potential: no sales in the 12 months to 2026-12-31, stage ' || stage
            ELSE 'tier ' || new_tier || ' from ' || grade_reason END
FROM changes WHERE old_tier IS NOT new_tier;

-- The customers themselves.
UPDATE customer
SET grade = ch.new_grade, value = ch.new_value, tier = ch.new_tier,
    updated_at = (SELECT at FROM stamp)
FROM changes ch
WHERE ch.customer_id = customer.id;

-- A new tier means a new contact (and, for core, visit) cadence: recompute those due
-- dates and the earliest one. Last contact, call-back and plan dates do not depend on
-- the tier; junk/lost customers are never in `changes`.
UPDATE customer
SET contact_due_on = d.contact_due_on,
    visit_due_on = d.visit_due_on,
    next_due_at = nullif(min(coalesce(d.contact_due_on, '9999-12-31'),
                             coalesce(d.visit_due_on, '9999-12-31'),
                             coalesce(customer.callback_due_on, '9999-12-31'),
                             coalesce(customer.plan_due_on, '9999-12-31')), '9999-12-31')
FROM (
    SELECT c.id,
           CASE c.tier
               WHEN 'potential' THEN date(coalesce(date((
                   SELECT max(f.at) FROM followup f
                   WHERE f.customer_id = c.id AND f.channel = 'phone')), c.created_on), '+30 days')
               ELSE date(coalesce(date((
                   SELECT max(f.at) FROM followup f
                   WHERE f.customer_id = c.id
                     AND f.channel IN ('phone', 'visit', 'meeting', 'email', 'wechat'))),
                   c.created_on),
                   CASE c.tier WHEN 'core' THEN '+14 days' WHEN 'key' THEN '+30 days'
                               WHEN 'general' THEN '+90 days' END)
           END AS contact_due_on,
           CASE WHEN c.tier = 'core' THEN date(coalesce(date((
               SELECT max(f.at) FROM followup f
               WHERE f.customer_id = c.id AND f.channel = 'visit')), c.created_on), '+30 days')
           END AS visit_due_on
    FROM changes ch JOIN customer c ON c.id = ch.customer_id
    WHERE ch.old_tier IS NOT ch.new_tier
) d
WHERE d.id = customer.id;

COMMIT;

SELECT 'sales 2025-12-31 (excl.) to 2026-12-31: ' || count(*) || ' customers changed' FROM changes;
