// graphile-worker side of bench/queue: the same measurements queue_bench makes for aiw, on the
// same PostgreSQL (a database of its own), printed as one JSON line on stdout.
//   DATABASE_URL  the database (graphile-worker installs its schema there)
//   JOBS (100000), BATCH (1000): no-op jobs to drain, added in batches with addJobs()
//   CONCURRENCY (24), LOCAL_QUEUE (500), COMPLETE_BATCH_DELAY_MS (0), POOL (CONCURRENCY + 4)
//   POLL_MS (100): how often the drain is counted
//   SAMPLES (1000), INTERVAL_MS (20): pickup latency, one job at a time on an idle worker
//   running with graphile-worker's defaults (its local queue adds latency)
"use strict";
const { run, makeWorkerUtils } = require("graphile-worker");
const { Client } = require("pg");

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const url = process.env.DATABASE_URL;
const jobs = env("JOBS", 100000);
const batch = env("BATCH", 1000);
const concurrency = env("CONCURRENCY", 24);
const localQueue = env("LOCAL_QUEUE", 500);
const completeDelay = env("COMPLETE_BATCH_DELAY_MS", 0);
const pool = env("POOL", concurrency + 4);
const samples = env("SAMPLES", 1000);
const intervalMs = env("INTERVAL_MS", 20);
const pollMs = env("POLL_MS", 100);

// Wall clock in microseconds (CLOCK_REALTIME, the clock queue_bench and testkit.clock use).
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const silent = () => () => {};

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const { Logger } = require("graphile-worker");
  const logger = new Logger(() => (level, message) => {
    if (level === "error") process.stderr.write(`graphile: ${message}\n`);
  });
  const utils = await makeWorkerUtils({ connectionString: url, logger });
  await utils.migrate();
  const counter = new Client({ connectionString: url });
  await counter.connect();
  const remaining = async () =>
    Number((await counter.query("select count(*) from graphile_worker._private_jobs")).rows[0].count);

  // Enqueue in batches, as aiw does (one statement per batch).
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < jobs; done += batch) {
    const n = Math.min(batch, jobs - done);
    const specs = new Array(n);
    for (let i = 0; i < n; ++i) specs[i] = { identifier: "noop", payload: {} };
    await utils.addJobs(specs);
  }
  const enqueueS = Number(process.hrtime.bigint() - t0) / 1e9;

  const stamps = new Map();
  const taskList = {
    noop: async () => {},
    clock: async (payload) => {
      stamps.set(payload.n, nowUs());
    },
  };
  const drainStart = process.hrtime.bigint();
  const runner = await run({
    connectionString: url,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    taskList,
    logger,
    preset: {
      worker: {
        maxPoolSize: pool,
        localQueue: { size: localQueue },
        completeJobBatchDelay: completeDelay,
        failJobBatchDelay: completeDelay,
      },
    },
  });
  // Count what is left every POLL_MS from a separate connection, as queue_bench does.
  const trace = [];
  for (;;) {
    const left = await remaining();
    trace.push([Number(process.hrtime.bigint() - drainStart) / 1e9, left]);
    if (left === 0) break;
    await sleep(pollMs);
  }
  const drainS = trace[trace.length - 1][0];
  const at = (fraction) => trace.find(([, left]) => left <= jobs * (1 - fraction)) || trace[trace.length - 1];
  const [s10, l10] = at(0.1);
  const [s90, l90] = at(0.9);
  const steady = s90 > s10 ? (l10 - l90) / (s90 - s10) : 0;

  await runner.stop();

  // Pickup latency on an idle worker, one job per statement, spaced. Measured with
  // graphile-worker's default options (no local queue, no batching: its lowest-latency mode).
  const idleRunner = await run({
    connectionString: url,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    taskList,
    logger,
    preset: { worker: { maxPoolSize: pool } },
  });
  const addClient = new Client({ connectionString: url });
  await addClient.connect();
  await sleep(500);
  const committed = new Map();
  for (let n = 0; n < samples; ++n) {
    await addClient.query("select graphile_worker.add_job('clock', json_build_object('n', $1::int))", [n]);
    committed.set(n, nowUs());
    await sleep(intervalMs);
  }
  const deadline = Date.now() + 10000;
  while (stamps.size < samples && Date.now() < deadline) await sleep(50);
  const lat = [];
  for (const [n, t] of committed) if (stamps.has(n)) lat.push((stamps.get(n) - t) / 1000);
  lat.sort((a, b) => a - b);

  await idleRunner.stop();
  await addClient.end();
  await counter.end();
  await utils.release();
  const { version } = require("graphile-worker/package.json");
  process.stdout.write(
    JSON.stringify({
      version,
      jobs,
      batch,
      concurrency,
      local_queue: localQueue,
      complete_batch_delay_ms: completeDelay,
      enqueue_per_s: jobs / enqueueS,
      drain_s: drainS,
      drain_per_s: jobs / drainS,
      steady_per_s: steady,
      pickup: {
        samples: lat.length,
        p50: percentile(lat, 50),
        p95: percentile(lat, 95),
        p99: percentile(lat, 99),
        max: lat.length ? lat[lat.length - 1] : 0,
      },
    }) + "\n",
  );
}

main().catch((e) => {
  process.stderr.write(`graphile bench failed: ${e.stack || e}\n`);
  process.exit(1);
});
