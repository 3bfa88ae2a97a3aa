/** The generated ABI modules match local/scripts/genAbis.ts, the bot's views are trimmed subsets of the full ABIs, and Lambda code parses no ABI at run time. */
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { describe, expect, it } from 'vitest'
import { BOT_ITEMS, SENT_TO, renderAll } from '../../local/scripts/genAbis.js'
import * as fullEigenLayer from '../../local/world/abis/eigenlayer.js'
import * as fullSafe from '../../local/world/abis/safe.js'
import * as fullSymbiotic from '../../local/world/abis/symbiotic.js'
import * as botEigenLayer from '../../shared/protocols/eigenlayer/abis.js'
import * as botSymbiotic from '../../shared/protocols/symbiotic/abis.js'
import * as botSafe from '../../shared/chain/safe/abis.js'

type Item = { type: string; name?: string }
const ROOT = join(import.meta.dirname, '..', '..')

describe('generated ABIs', () => {
  it.each(renderAll().map((f) => [relative(ROOT, f.path), f.source] as const))('%s is what `npm run gen:abis` writes', (path, source) => {
    expect(readFileSync(join(ROOT, path), 'utf8'), `${path} drifted: run npm run gen:abis`).toBe(source)
  })

  it.each([
    ['symbiotic', botSymbiotic, fullSymbiotic],
    ['eigenlayer', botEigenLayer, fullEigenLayer],
    ['safe', botSafe, fullSafe],
  ] as const)('%s: the bot view is the full ABI cut to BOT_ITEMS, with every error of the contracts it sends to', (family, bot, full) => {
    const keep = BOT_ITEMS[family] as Record<string, readonly string[]>
    for (const [name, names] of Object.entries(keep)) {
      const ours = (bot as unknown as Record<string, readonly Item[]>)[name]!
      const all = (full as unknown as Record<string, readonly Item[]>)[name]!
      expect(ours, name).toEqual(all.filter((i) => (i.type === 'error' ? SENT_TO.has(name) : names.includes(i.name!))))
      if (SENT_TO.has(name)) expect(ours.filter((i) => i.type === 'error').length, `${name} errors`).toBe(all.filter((i) => i.type === 'error').length)
      for (const i of ours)
        expect(
          all.some((f) => isDeepStrictEqual(f, i)),
          `${name}.${i.name}`,
        ).toBe(true)
      for (const n of names)
        expect(
          ours.some((i) => i.type !== 'error' && i.name === n),
          `${name}.${n}`,
        ).toBe(true)
    }
  })
})

describe('Lambda code parses no ABI at run time', () => {
  it('shared/ and functions/ call no parseAbi / parseAbiItem / parseAbiParameter(s)', () => {
    // abitype's human-readable parser is ~13 KB of every bundle and runs at module init: ABIs are JSON `as const` instead.
    const files = ['shared', 'functions'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile() && e.name.endsWith('.ts'))
        .map((e) => relative(ROOT, join(e.parentPath, e.name))),
    )
    expect(files.length).toBeGreaterThan(20)
    const offenders = files.filter((f) => /\bparseAbi(Item|Parameters?)?\b/.test(readFileSync(join(ROOT, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
    expect(offenders).toEqual([])
  })
})
