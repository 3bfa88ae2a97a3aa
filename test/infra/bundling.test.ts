/**
 * The bundles CDK ships are the bundles the tests build: a real `cdk synth` with bundling produces, for each
 * function, an `index.mjs` byte-identical to infra/bundling.ts's esbuild API build. And the zod alias shim
 * exports exactly zod's classic API minus the locales.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import * as zod from 'zod'
import { BUNDLE_SETTINGS, FUNCTION_NAMES, buildFunctionBundle, cdkBundling, esbuildOptions } from '../../infra/bundling.js'
import { synth } from './synth.js'

const tmp = mkdtempSync(join(tmpdir(), 'ra-bundles-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('one set of bundle settings', () => {
  it('CDK bundling options and esbuild API options both come from BUNDLE_SETTINGS', () => {
    const cdk = cdkBundling()
    const api = esbuildOptions('score', '/x/index.mjs')
    expect(cdk).toMatchObject({ target: BUNDLE_SETTINGS.target, minify: true, sourceMap: true, sourcesContent: false, externalModules: ['@aws-sdk/*'], mainFields: ['module', 'main'], banner: BUNDLE_SETTINGS.banner })
    expect(cdk.esbuildArgs).toEqual({ '--tree-shaking': 'true', '--legal-comments': 'none', '--alias:zod': BUNDLE_SETTINGS.alias.zod })
    expect(api).toMatchObject({ target: 'node22', format: 'esm', minify: true, sourcemap: true, treeShaking: true, external: ['@aws-sdk/*'], alias: BUNDLE_SETTINGS.alias, banner: { js: BUNDLE_SETTINGS.banner } })
  })

  it('`cdk synth` with bundling ships byte-identical bundles to the ones the tests build and invoke', async () => {
    const { stack } = synth({}, { bundle: true, outdir: join(tmp, 'cdk.out') })
    const assembly = stack.node.root as unknown as { synth: () => { directory: string; getStackByName: (n: string) => { template: Record<string, any> } } }
    const cloud = assembly.synth()
    const template = cloud.getStackByName('RestakeAutopilot').template
    for (const name of FUNCTION_NAMES) {
      const id = stack.getLogicalId(stack.functions[name].node.defaultChild as never)
      const hash = String(template.Resources[id].Properties.Code.S3Key).replace(/\.zip$/, '')
      const shipped = readFileSync(join(cloud.directory, `asset.${hash}`, 'index.mjs'))
      const built = await buildFunctionBundle(name, join(tmp, 'api'))
      expect(shipped.equals(readFileSync(built.file)), `${name} bundle differs`).toBe(true)
    }
  })
})

describe('zod alias shim', () => {
  it('exports zod’s classic API (the `z` namespace and named exports) minus `locales`', async () => {
    const shim = (await import('../../infra/shims/zod.mjs' as string)) as Record<string, unknown> & { z: Record<string, unknown> }
    const expected = Object.keys(zod).filter((k) => k !== 'locales').sort()
    expect(Object.keys(shim).sort()).toEqual(expected)
    expect(Object.keys(shim.z).sort()).toEqual(Object.keys(zod.z).filter((k) => k !== 'locales').sort())
    expect(Object.keys(shim.z.core as object).sort()).toEqual(Object.keys(zod.z.core).filter((k) => k !== 'locales').sort())
    // Same module instances as zod itself: schemas from either side are interchangeable.
    expect(shim.z.object).toBe(zod.z.object)
    expect((shim.z.string as () => { safeParse: (v: unknown) => { success: boolean; error?: { issues: { message: string }[] } } })().safeParse(1).error?.issues[0]?.message).toBe('Invalid input: expected string, received number')
  })
})
