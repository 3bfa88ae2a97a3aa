/**
 * Benchmark: each Lambda's bundle (built with the stack's esbuild settings, infra/bundling.ts) — its size and
 * its module init time: the median of 7 cold `import()`s of the bundle, each in a fresh `node` process with
 * the environment a Lambda gets (config, policy; no network is touched at init). Two figures:
 * - `initMsMedian`: the whole import, including loading AWS SDK v3 (external: the runtime provides it; here
 *   it loads from node_modules);
 * - `initMsOwnMedian`: the same with the SDK packages already loaded in the process, i.e. our bundle alone;
 * and once, `sdkOnlyMsMedian`: a fresh process importing just the DynamoDB SDK packages every bundle imports —
 * the part of `initMsMedian` no bundle choice removes (only deferring the SDK to the first invocation would hide
 * it from init, moving the same cost into the first request; we keep clients in init, as AWS recommends).
 * The signer is not part of init here: in AWS it is the KMS key (a network call at cold start); a local key
 * (SIGNER_PRIVATE_KEY) would add secp256k1 precomputation (~30 ms) that AWS does not do.
 * Targets (docs/architecture.md, "Bars"): ≤ 400 KB, ≤ 60 ms.
 */
import { execFileSync } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import { BUNDLE_BAR_KB, BUNDLE_BUDGET_KB, FUNCTION_NAMES, REPO_ROOT, buildFunctionBundle } from '../../infra/bundling.js'
import { tableNames } from '../../shared/store/tables.js'

const RUNS = 7

/**
 * The environment of a cold start in AWS (values only need to validate; nothing is contacted during init): as the stack
 * sets it, AUTOPILOT_CONFIG carries only the deployment's part (chain, tables) and no POLICY_JSON — the policy and the
 * protocol config are read from the policy store on the first invocation, not at init. (The RPC URL, a Secrets Manager
 * read at init in AWS, is given in the config here so that init makes no network call.)
 */
export function coldStartEnv(): Record<string, string> {
  const config = { chainId: 31337, rpcUrl: 'http://127.0.0.1:9', tables: tableNames('bench'), dynamoEndpoint: 'http://127.0.0.1:9' }
  return {
    AUTOPILOT_CONFIG: JSON.stringify(config),
    WEBHOOK_SECRET: 'bench-webhook-secret-0123456789',
    AWS_REGION: 'us-east-1',
    LOG_LEVEL: 'SILENT',
  }
}

/** AWS SDK v3 packages the bundles import (external: provided by the Lambda runtime). */
export const RUNTIME_SDK_PACKAGES = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-kms']

/** Milliseconds to import `file` in a fresh node process (measured inside it, around the import only). */
function coldImportMs(file: string, preloadSdk = false): number {
  const preload = preloadSdk ? RUNTIME_SDK_PACKAGES.map((p) => `await import(${JSON.stringify(p)});`).join(' ') : ''
  const script = `${preload} const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t))`
  const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', ...coldStartEnv() }, encoding: 'utf8' })
  return Number(out)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Milliseconds to import the DynamoDB SDK packages alone in a fresh node process. */
function coldSdkImportMs(): number {
  const script = `const t = performance.now(); ${['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'].map((p) => `await import(${JSON.stringify(p)});`).join(' ')} process.stdout.write(String(performance.now() - t))`
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1' }, encoding: 'utf8' }))
}

/** Size (KB) and median cold init (ms) per function, with the targets and the largest contributors. */
export async function benchBundles(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { targets: { bundleKB: BUNDLE_BAR_KB, initMs: 60 }, runs: RUNS, node: process.version }
  coldSdkImportMs() // warm the OS file cache once; not counted
  out.sdkOnlyMsMedian = Number(median(Array.from({ length: RUNS }, coldSdkImportMs)).toFixed(1))
  for (const name of FUNCTION_NAMES) {
    const b = await buildFunctionBundle(name)
    coldImportMs(b.file) // warm the OS file cache once; not counted
    const times = Array.from({ length: RUNS }, () => coldImportMs(b.file))
    const own = Array.from({ length: RUNS }, () => coldImportMs(b.file, true))
    const top = Object.entries(b.byPackage)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 6)
      .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)} KB`)
    out[name] = {
      bundleKB: Number((b.bytes / 1024).toFixed(1)),
      budgetKB: BUNDLE_BUDGET_KB[name],
      initMsMedian: Number(median(times).toFixed(1)),
      initMsOwnMedian: Number(median(own).toFixed(1)),
      initMs: times.map((t) => Number(t.toFixed(1))),
      withinTargets: { bundle: b.bytes <= BUNDLE_BAR_KB * 1024, budget: b.bytes <= BUNDLE_BUDGET_KB[name] * 1024, init: median(times) <= 60, initOwn: median(own) <= 60 },
      largest: top,
    }
  }
  return out
}
