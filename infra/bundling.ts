/**
 * The one esbuild configuration of every Lambda bundle. The stack (NodejsFunction, via {@link cdkBundling})
 * and the bundle test and bench (esbuild's API, via {@link esbuildOptions}) both derive from
 * {@link BUNDLE_SETTINGS}, so what CI builds and invokes is what CDK ships.
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BuildOptions } from 'esbuild'
import { type BundlingOptions, LogLevel, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs'

/** Repository root (the directory holding package.json). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** One Lambda per folder in functions/. */
export const FUNCTION_NAMES = ['score', 'rebalance', 'webhook', 'watch', 'eigenlayer'] as const

/** A function of the stack. */
export type FunctionName = (typeof FUNCTION_NAMES)[number]

/** The bundle bar, KB of minified output per function (docs/architecture.md, "Bars"). */
export const BUNDLE_BAR_KB = 400

/**
 * Each function's bundle budget, KB: the bar for the functions that neither plan nor sign; for the three that plan
 * and sign, today's size plus a little room, held by test/integration/bundles.test.ts (docs/architecture.md,
 * "Bundles": where the KB came from, and the ways back under the bar and what they would cost).
 */
export const BUNDLE_BUDGET_KB: Record<FunctionName, number> = { score: BUNDLE_BAR_KB, webhook: BUNDLE_BAR_KB, rebalance: 470, watch: 470, eigenlayer: 510 }

/** Absolute path of a function's entry (`functions/<name>/handler.ts`). */
export function functionEntry(name: FunctionName): string {
  return join(REPO_ROOT, 'functions', name, 'handler.ts')
}

/** The bundle settings (Node 22 on arm64, ESM, minified, tree-shaken, source maps, AWS SDK v3 from the runtime). */
export const BUNDLE_SETTINGS = {
  /** Lambda's Node.js 22 runtime. */
  target: 'node22',
  format: 'esm',
  minify: true,
  /** External `.map` next to the bundle; the runtime uses it with NODE_OPTIONS=--enable-source-maps. */
  sourcemap: true,
  /** Keep the map small: names and mappings only, not the sources. */
  sourcesContent: false,
  treeShaking: true,
  /** Prefer ESM entry points of dependencies (better tree-shaking). */
  mainFields: ['module', 'main'],
  /** The nodejs22.x runtime ships AWS SDK v3: do not bundle it. */
  external: ['@aws-sdk/*'],
  /** Some dependencies are CommonJS and call `require` for Node built-ins: give ESM output a real `require`. */
  banner: "import { createRequire as __autopilotCreateRequire } from 'node:module'; const require = __autopilotCreateRequire(import.meta.url);",
  legalComments: 'none',
} as const

/** esbuild API options for one function's bundle, written to `outfile` (`.mjs`). */
export function esbuildOptions(name: FunctionName, outfile: string): BuildOptions {
  const s = BUNDLE_SETTINGS
  return {
    entryPoints: [functionEntry(name)],
    outfile,
    bundle: true,
    platform: 'node',
    target: s.target,
    format: s.format,
    minify: s.minify,
    sourcemap: s.sourcemap,
    sourcesContent: s.sourcesContent,
    treeShaking: s.treeShaking,
    mainFields: [...s.mainFields],
    external: [...s.external],
    banner: { js: s.banner },
    legalComments: s.legalComments,
    metafile: true,
    logLevel: 'warning',
  }
}

/** The same settings as NodejsFunction bundling options. */
export function cdkBundling(): BundlingOptions {
  const s = BUNDLE_SETTINGS
  return {
    target: s.target,
    format: OutputFormat.ESM,
    minify: s.minify,
    sourceMap: s.sourcemap,
    sourceMapMode: SourceMapMode.DEFAULT,
    sourcesContent: s.sourcesContent,
    mainFields: [...s.mainFields],
    externalModules: [...s.external],
    banner: s.banner,
    esbuildArgs: { '--tree-shaking': String(s.treeShaking), '--legal-comments': s.legalComments },
    logLevel: LogLevel.WARNING,
  }
}

/** A built bundle. */
export interface BuiltBundle {
  name: FunctionName
  /** Absolute path of `index.mjs`. */
  file: string
  /** Size of `index.mjs`, bytes (the source map is a separate file). */
  bytes: number
  /** Bytes in the bundle per package (`zod`, `viem`, …) or per repository folder. */
  byPackage: Record<string, number>
  /** Every input file that contributes bytes (repository-relative or node_modules paths). */
  inputs: string[]
}

/** Builds one function's bundle with {@link esbuildOptions} into `<outRoot>/<name>/index.mjs` (esbuild loaded on demand). */
export async function buildFunctionBundle(name: FunctionName, outRoot: string = join(REPO_ROOT, '.local', 'bundles')): Promise<BuiltBundle> {
  const { build } = await import('esbuild')
  const file = join(outRoot, name, 'index.mjs')
  const result = await build(esbuildOptions(name, file))
  const output = Object.values(result.metafile!.outputs).find((o) => o.entryPoint !== undefined)!
  const byPackage: Record<string, number> = {}
  for (const [input, info] of Object.entries(output.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)
    const key = m ? m[1]! : input.split('/').slice(0, 2).join('/')
    byPackage[key] = (byPackage[key] ?? 0) + info.bytesInOutput
  }
  return {
    name,
    file,
    bytes: output.bytes,
    byPackage,
    inputs: Object.entries(output.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([k]) => k),
  }
}
