/**
 * `npm run bench`: runs every benchmark module in test/bench (each exports `bench*(): Promise<object>`) and
 * prints one JSON document. Timing lives here, never in a test.
 *
 * Each benchmark runs in a process of its own (this script again, with the loader flags it was started with): a
 * process that has run one benchmark runs the next one's JavaScript slower. After benchSync or HiGHS's solve in
 * benchPlanner, a fixed arithmetic loop takes ~1.7× as long for the rest of the process's life (docs/risk.md §3).
 */
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const CHILD = 'RESTAKE_BENCH_ONE'
const dir = fileURLToPath(new URL('.', import.meta.url))
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2)

/** Every benchmark function of the modules in test/bench, by name, in file then export order. */
async function benchmarks(): Promise<Map<string, () => Promise<unknown>>> {
  const out = new Map<string, () => Promise<unknown>>()
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .sort()) {
    const mod = (await import(`./${file}`)) as Record<string, unknown>
    for (const [name, fn] of Object.entries(mod)) if (name.startsWith('bench') && typeof fn === 'function') out.set(name, fn as () => Promise<unknown>)
  }
  return out
}

const one = process.env[CHILD]
if (one !== undefined) {
  const fn = (await benchmarks()).get(one)
  if (fn === undefined) throw new Error(`no benchmark ${one}`)
  process.stdout.write(json(await fn()))
} else {
  const only = process.argv.slice(2)
  const results: Record<string, unknown> = {}
  for (const name of (await benchmarks()).keys()) {
    if (only.length && !only.includes(name)) continue
    process.stderr.write(`running ${name}…\n`)
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, [CHILD]: name },
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    })
    if (child.status !== 0) throw new Error(`benchmark ${name} failed (exit ${child.status ?? child.signal})`)
    results[name] = JSON.parse(child.stdout.toString('utf8'))
  }
  console.log(json(results))
}
