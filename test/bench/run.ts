/**
 * `npm run bench`: runs every benchmark module in test/bench (each exports `bench*(): Promise<object>`) and
 * prints one JSON document. Timing lives here, never in a test.
 */
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('.', import.meta.url))
const only = process.argv.slice(2)
const results: Record<string, unknown> = {}
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .sort()) {
  const mod = (await import(`./${file}`)) as Record<string, unknown>
  for (const [name, fn] of Object.entries(mod)) {
    if (!name.startsWith('bench') || typeof fn !== 'function') continue
    if (only.length && !only.includes(name)) continue
    process.stderr.write(`running ${name}…\n`)
    results[name] = await (fn as () => Promise<unknown>)()
  }
}
console.log(JSON.stringify(results, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2))
