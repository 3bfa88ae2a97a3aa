/**
 * Dependency directions (docs/architecture.md), read from the source: the domain imports nothing protocol-specific
 * or effectful, execution imports no protocol and no run store, protocols do not import each other, and shared/
 * has no import cycle.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** Every module a file imports (relative ones resolved to repo paths, packages by name). */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = (m[1] ?? m[2])!
    out.push(spec.startsWith('.') ? relative(ROOT, resolve(dirname(file), spec)).replace(/\.js$/, '.ts') : spec)
  }
  return out
}

const shared = files(join(ROOT, 'shared')).map((f) => relative(ROOT, f))
const graph = new Map(shared.map((f) => [f, importsOf(join(ROOT, f))]))

describe('dependency directions', () => {
  it('shared/domain imports only itself and pure packages (no protocol, chain, store, execution, services, AWS or node I/O)', () => {
    const bad = [...graph]
      .filter(([f]) => f.startsWith('shared/domain/'))
      .flatMap(([f, deps]) =>
        deps.filter((d) => (d.startsWith('shared/') && !d.startsWith('shared/domain/') && d !== 'shared/zodLocale.ts' && d !== 'shared/errors.ts') || d.startsWith('@aws-sdk') || d.startsWith('node:')).map((d) => `${f} → ${d}`),
      )
    expect(bad).toEqual([])
  })

  it("shared/domain names no protocol's position fields (Position is neutral; delegator, kind and roles live in shared/protocols/symbiotic/position.ts)", () => {
    const bad = shared.filter((f) => f.startsWith('shared/domain/') && /\b(delegatorKind|DelegatorKind|CuratorRoles)\b|\.delegator\b|\.roles\b/.test(readFileSync(join(ROOT, f), 'utf8')))
    expect(bad).toEqual([])
  })
  it('shared/execution imports no protocol, no run store, no services and no pipeline', () => {
    const bad = [...graph]
      .filter(([f]) => f.startsWith('shared/execution/'))
      .flatMap(([f, deps]) => deps.filter((d) => d.startsWith('shared/protocols/') || d === 'shared/store/runs.ts' || d.startsWith('shared/services/') || d.startsWith('shared/pipeline/')).map((d) => `${f} → ${d}`))
    expect(bad).toEqual([])
  })

  it('a protocol folder never imports another protocol', () => {
    const bad = [...graph].flatMap(([f, deps]) => {
      const mine = /^shared\/protocols\/([^/]+)\//.exec(f)?.[1]
      return mine ? deps.filter((d) => /^shared\/protocols\/[^/]+\//.test(d) && !d.startsWith(`shared/protocols/${mine}/`)).map((d) => `${f} → ${d}`) : []
    })
    expect(bad).toEqual([])
  })

  it('protocol readers and the watcher never read event history from the node: their logs come from the chain sync (docs/sync.md)', () => {
    const readers = shared.filter((f) => /^shared\/protocols\/[^/]+\/(reader|events|views)\.ts$/.test(f))
    expect(readers.length).toBeGreaterThanOrEqual(3)
    const bad = readers.filter((f) => /\.getLogs\(|eth_getLogs|createLogFetcher\(/.test(readFileSync(join(ROOT, f), 'utf8')))
    expect(bad).toEqual([])
  })

  it('the console and the CLI read event history through the chain sync too, never eth_getLogs from fromBlock (a provider refuses it)', () => {
    const tools = ['local/dashboard', 'local/cli'].flatMap((d) => files(join(ROOT, d)).map((f) => relative(ROOT, f)))
    expect(tools).toContain('local/dashboard/realised.ts')
    const bad = tools.filter((f) => /\.getLogs\(|\.getContractEvents\(|['"]eth_getLogs['"]/.test(readFileSync(join(ROOT, f), 'utf8')))
    expect(bad).toEqual([])
  })

  it('no file in shared/ is over 500 lines (issue 13: one concern per file)', () => {
    const long = shared.map((f) => ({ f, lines: readFileSync(join(ROOT, f), 'utf8').split('\n').length })).filter((x) => x.lines > 500)
    expect(long).toEqual([])
  })

  it('shared/ has no import cycle', () => {
    // Tarjan's strongly connected components over the import graph.
    let index = 0
    const idx = new Map<string, number>()
    const low = new Map<string, number>()
    const stack: string[] = []
    const on = new Set<string>()
    const cycles: string[][] = []
    const visit = (v: string) => {
      idx.set(v, index)
      low.set(v, index++)
      stack.push(v)
      on.add(v)
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue
        if (!idx.has(w)) {
          visit(w)
          low.set(v, Math.min(low.get(v)!, low.get(w)!))
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!))
      }
      if (low.get(v) === idx.get(v)) {
        const scc: string[] = []
        let w: string
        do {
          w = stack.pop()!
          on.delete(w)
          scc.push(w)
        } while (w !== v)
        if (scc.length > 1) cycles.push(scc.sort())
      }
    }
    for (const v of graph.keys()) if (!idx.has(v)) visit(v)
    expect(cycles).toEqual([])
  })
})
