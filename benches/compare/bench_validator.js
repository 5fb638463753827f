'use strict';
// Times validator.js isEmail on a corpus of addresses, one per line.
//
// Usage: node bench_validator.js CORPUS [RUNS] [WARMUP]
//
// Each address goes through `isEmail(address)` with its default options. A warm-up pass over
// the first WARMUP addresses (default 20,000) comes first, then RUNS full passes (default 5).
// Prints one JSON line in the shape every runner of benches/compare uses.

const fs = require('node:fs');
const isEmail = require('validator/lib/isEmail').default;
const { version } = require('validator/package.json');

function validateAll(addresses) {
  let accepted = 0;
  for (const address of addresses) {
    if (isEmail(address)) accepted += 1;
  }
  return accepted;
}

function main() {
  const [path, runsArg, warmupArg] = process.argv.slice(2);
  const runs = Math.max(Number(runsArg ?? 5), 1);
  const warmup = Number(warmupArg ?? 20000);
  const addresses = fs.readFileSync(path, 'utf8').split('\n');
  if (addresses.length && addresses[addresses.length - 1] === '') addresses.pop();

  validateAll(addresses.slice(0, warmup));
  const seconds = [];
  let accepted = null;
  for (let i = 0; i < runs; i += 1) {
    const start = process.hrtime.bigint();
    const count = validateAll(addresses);
    seconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    if (accepted !== null && accepted !== count) throw new Error('accepted count changed between passes');
    accepted = count;
  }

  const ordered = [...seconds].sort((a, b) => a - b);
  console.log(JSON.stringify({
    implementation: `validator.js isEmail (Node ${process.versions.node})`,
    version,
    addresses: addresses.length,
    runs: seconds.length,
    best_seconds: ordered[0],
    median_seconds: ordered[Math.floor(ordered.length / 2)],
    accepted,
  }));
}

main();
