// parseAddresses on a 200-address paste against a loop of validator.js `isEmail` over the same
// 200 addresses, in one run: best of 7 alternating rounds of about
// 0.3 s each, per call.
//
// `node bench/parse.mjs` (after `npm run build`); `--quick` for a short smoke run.
// parseAddresses does more than isEmail (cuts the paste, positions, names, IDNA, normal forms,
// dedup keys, the cap) and builds a plain object per entry.

import { createRequire } from 'node:module'

import invitekit from '../index.js'

const require = createRequire(import.meta.url)
const isEmail = require('validator/lib/isEmail').default ?? require('validator/lib/isEmail')

const quick = process.argv.includes('--quick')
const ROUNDS = quick ? 2 : 7
const ROUND_NS = quick ? 50e6 : 300e6

// A realistic paste, as an admin copies it from a spreadsheet or a mail client: people's
// addresses at companies and free-mail providers, in the shapes of the corpus of
// benches/compare (first.last, initials, underscores, digits, subdomains, hyphenated company
// domains, some capitals, a few plus tags), from a fixed seed.
const FIRST = ['sarah', 'kathleen', 'kwame', 'kimberly', 'zoe', 'pierre', 'steven', 'donna', 'emily', 'joshua', 'olivia', 'james', 'jessica', 'hiroshi', 'sofia', 'carol', 'amara', 'liam', 'priya', 'mateo']
const LAST = ['white', 'wilson', 'sharma', 'robinson', 'harris', 'clark', 'campbell', 'torres', 'carter', 'tanaka', 'sanchez', 'mensah', 'cohen', 'jackson', 'patel', 'nguyen', 'schmidt', 'okafor', 'garcia', 'kowalski']
const WORD = ['bright', 'rapid', 'maple', 'pixel', 'green', 'stone', 'cedar', 'vertex', 'litware', 'globex', 'acme', 'northwind']
const KIND = ['analytics', 'fitness', 'works', 'consulting', 'partners', 'design', 'logistics', 'systems', 'capital', 'legal', 'media', 'group']
const TLD = ['com', 'com', 'com', 'de', 'dev', 'io', 'co.uk', 'ca', 'agency', 'net']
const FREE = ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'proton.me', 'yahoo.co.uk']
let seed = 0x2545f491
function below(n) {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) % n
}
const pick = (items) => items[below(items.length)]
function address() {
  const first = pick(FIRST)
  const last = pick(LAST)
  const local = [
    `${first}.${last}`,
    `${first}${last}`,
    `${first[0]}${last}`,
    `${first}_${last}`,
    `${first}-${last}`,
    `${first}.${last}${below(99)}`,
    `${first}${below(99)}`,
    `${first}.${last}+invites`,
  ][below(8)]
  const domain =
    below(3) === 0
      ? pick(FREE)
      : `${below(5) === 0 ? pick(['mail.', 'clients.', 'uk.']) : ''}${pick(WORD)}${below(3) === 0 ? '-' : ''}${pick(KIND)}.${pick(TLD)}`
  const text = `${local}@${domain}`
  return below(6) === 0 ? text[0].toUpperCase() + text.slice(1) : text
}
const addresses = []
const seen = new Set()
while (addresses.length < 200) {
  const next = address()
  if (!seen.has(next.toLowerCase())) seen.add(next.toLowerCase()), addresses.push(next)
}
const paste = addresses.join('\n')

/** How many calls of `fn` take about one round. */
function calibrate(fn) {
  for (let i = 0; i < 200; i++) fn()
  let calls = 1
  for (;;) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < calls; i++) fn()
    const elapsed = Number(process.hrtime.bigint() - start)
    if (elapsed > ROUND_NS / 10) return Math.max(1, Math.round((calls * ROUND_NS) / elapsed))
    calls *= 2
  }
}

/**
 * The best time per call of each contender, in ns: their rounds alternate, so a busy spell of
 * the machine slows both rather than one.
 */
function race(contenders) {
  const calls = contenders.map(([, fn]) => calibrate(fn))
  const best = contenders.map(() => Infinity)
  for (let round = 0; round < ROUNDS; round++) {
    contenders.forEach(([, fn], i) => {
      const start = process.hrtime.bigint()
      for (let n = 0; n < calls[i]; n++) fn()
      best[i] = Math.min(best[i], Number(process.hrtime.bigint() - start) / calls[i])
    })
  }
  contenders.forEach(([label], i) => {
    console.log(`${label.padEnd(48)} ${(best[i] / 1000).toFixed(1).padStart(8)} µs per 200 addresses`)
  })
  return best
}

// Both agree that every address is valid.
const list = invitekit.parseAddresses(paste)
if (list.valid !== 200 || !addresses.every((address) => isEmail(address))) {
  throw new Error(`the two disagree: parseAddresses found ${list.valid} valid`)
}

const [ours, theirs] = race([
  ['invitekit parseAddresses(paste)', () => invitekit.parseAddresses(paste)],
  [
    'validator.js isEmail, a loop over the 200',
    () => {
      let valid = 0
      for (const address of addresses) if (isEmail(address)) valid++
      return valid
    },
  ],
])
console.log(`ratio: parseAddresses is ${(theirs / ours).toFixed(1)}x faster than the isEmail loop`)
