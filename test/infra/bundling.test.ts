/**
 * The bundles CDK ships are the bundles the tests build: a real `cdk synth` with bundling produces, for each
 * function, an `index.mjs` byte-identical to infra/bundling.ts's esbuild API build. Every module imports zod as a
 * namespace (`import * as z`), so esbuild drops the locales without a shim.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BUNDLE_SETTINGS, FUNCTION_NAMES, buildFunctionBundle, cdkBundling, esbuildOptions } from '../../infra/bundling.js'
import { synth } from './synth.js'

const tmp = mkdtempSync(join(tmpdir(), 'ra-bundles-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('one set of bundle settings', () => {
  it('CDK bundling options and esbuild API options both come from BUNDLE_SETTINGS', () => {
    const cdk = cdkBundling()
    const api = esbuildOptions('score', '/x/index.mjs')
    expect(cdk).toMatchObject({ target: BUNDLE_SETTINGS.target, minify: true, sourceMap: true, sourcesContent: false, externalModules: ['@aws-sdk/*'], mainFields: ['module', 'main'], banner: BUNDLE_SETTINGS.banner })
    expect(cdk.esbuildArgs).toEqual({ '--tree-shaking': 'true', '--legal-comments': 'none' })
    expect(api).toMatchObject({ target: 'node22', format: 'esm', minify: true, sourcemap: true, treeShaking: true, external: ['@aws-sdk/*'], banner: { js: BUNDLE_SETTINGS.banner } })
  })

  it('`cdk synth` with bundling ships byte-identical bundles to the ones the tests build and invoke', async () => {
    // The EigenLayer example makes the stack deploy every function, eigenlayer included.
    const { stack } = synth({ protocolConfigFile: 'infra/examples/protocol.eigenlayer.example.json' }, { bundle: true, outdir: join(tmp, 'cdk.out') })
    const assembly = stack.node.root as unknown as { synth: () => { directory: string; getStackByName: (n: string) => { template: Record<string, any> } } }
    const cloud = assembly.synth()
    const template = cloud.getStackByName('RestakeAutopilot').template
    for (const name of FUNCTION_NAMES) {
      const fn = stack.functions[name]
      expect(fn, `${name} deployed`).toBeDefined()
      const id = stack.getLogicalId(fn!.node.defaultChild as never)
      const hash = String(template.Resources[id].Properties.Code.S3Key).replace(/\.zip$/, '')
      const shipped = readFileSync(join(cloud.directory, `asset.${hash}`, 'index.mjs'))
      const built = await buildFunctionBundle(name, join(tmp, 'api'))
      expect(shipped.equals(readFileSync(built.file)), `${name} bundle differs`).toBe(true)
    }
  })
})
