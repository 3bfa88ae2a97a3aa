/**
 * Each Lambda's bundle size at past commits, built with that commit's own `infra/bundling.ts` (its entry points and
 * esbuild settings) against today's node_modules: where the KB of docs/architecture.md "Bundles" came from. One JSON
 * line per commit.
 *
 *   npx tsx local/scripts/bundleSizesAt.ts a3e5b09 9aff7fb HEAD
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')

/** Builds every function of the worktree's `infra/bundling.ts` and prints `{ commit, <function>: KB }`. */
const BUILD = `import { build } from 'esbuild'
import * as b from './infra/bundling.ts'
const out = { commit: process.argv[2] }
for (const name of b.FUNCTION_NAMES) {
  const r = await build({ ...b.esbuildOptions(name, '/dev/null/never'), write: false, logLevel: 'silent' })
  const o = Object.values(r.metafile.outputs).find((x) => x.entryPoint)
  out[name] = Math.round(o.bytes / 102.4) / 10
}
console.log(JSON.stringify(out))
`

for (const commit of process.argv.slice(2)) {
  const dir = mkdtempSync(join(tmpdir(), 'bundles-at-'))
  try {
    execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--quiet', '--detach', dir, commit], { stdio: 'inherit' })
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
    writeFileSync(join(dir, '.bundle-sizes.ts'), BUILD)
    process.stdout.write(execFileSync('npx', ['tsx', '.bundle-sizes.ts', commit], { cwd: dir, encoding: 'utf8' }))
  } finally {
    execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', dir])
    rmSync(dir, { recursive: true, force: true })
  }
}
