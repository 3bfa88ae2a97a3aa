import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { policyCommand, policySchemaText, POLICY_SCHEMA_PATH } from '../../local/cli/policy.js'
import { PolicyError } from '../../shared/domain/errors.js'
import { defaultPolicy, jsonPath, loadPolicyOrThrow, parsePolicy } from '../../shared/domain/policy.js'
import { POLICY_FIELD_DOCS, policyFieldPaths, policyJsonSchema } from '../../shared/domain/policyDocs.js'

const A = (c: string) => `0x${c.repeat(40)}`
const S = (c: string) => `0x${c.repeat(64)}`
const POLICIES_DIR = new URL('../../local/policies/', import.meta.url)

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) }, out: () => out.join(''), err: () => err.join('') }
}

describe('Function: parsePolicy', () => {
  it('applies every default to { version: 1 }', () => {
    const p = defaultPolicy()
    expect(p).toMatchObject({
      version: 1,
      positions: [],
      operators: { deny: [] },
      caps: { perOperator: 0.25, perService: 0.5, perRiskGroup: [] },
      minOperatorsPerService: 2,
      mode: 'propose',
      slashResponse: 'zero-out',
      scoring: { priorAlpha: 0.1, priorBeta: 9.9 },
    })
    expect(p.operators.allow).toBeUndefined()
  })

  it('lower-cases addresses and service ids, sorts and de-duplicates allow/deny lists', () => {
    const r = parsePolicy({
      version: 1,
      operators: { deny: [A('B'), A('a'), A('b')] },
      services: { allow: [S('C'), S('a')] },
      positions: [{ vault: A('F') }],
    })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.policy.operators.deny).toEqual([A('a'), A('b')])
    expect(r.policy.services.allow).toEqual([S('a'), S('c')])
    expect(r.policy.positions[0]?.vault).toBe(A('f'))
  })

  it('reports every problem with its JSON path and a plain reason', () => {
    const r = parsePolicy({
      version: 2,
      caps: { perOperator: 1.5, perServce: 0.2 },
      operators: { deny: ['0x12'] },
      mode: 'yolo',
      minOperatorsPerService: 1.5,
      notifications: { webhookUrls: ['ftp://example.org'] },
      riskBudget: '1%',
    })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors).toMatchInlineSnapshot(`
      [
        {
          "message": "caps.perOperator must be ≤ 1 (a fraction: 1 = 100 %)",
          "path": "$.caps.perOperator",
        },
        {
          "message": "unknown field "perServce" (check the spelling; see docs/policy.md)",
          "path": "$.caps.perServce",
        },
        {
          "message": "expected a whole number, got number 1.5",
          "path": "$.minOperatorsPerService",
        },
        {
          "message": "mode must be one of "autopilot", "propose", "dry-run"",
          "path": "$.mode",
        },
        {
          "message": "must be an http(s) URL",
          "path": "$.notifications.webhookUrls[0]",
        },
        {
          "message": "must be an address: 0x followed by 40 hex digits",
          "path": "$.operators.deny[0]",
        },
        {
          "message": "expected number, got the string "1%"",
          "path": "$.riskBudget",
        },
        {
          "message": "version must be 1",
          "path": "$.version",
        },
      ]
    `)
  })

  it('says when a required field is missing and when the document is not an object', () => {
    const r = parsePolicy({})
    expect(r).toEqual({ ok: false, errors: [{ path: '$.version', message: 'version must be 1' }] })
    const r2 = parsePolicy([])
    expect(r2.ok).toBe(false)
    if (!r2.ok) expect(r2.errors[0]).toEqual({ path: '$', message: 'expected object, got an array' })
  })

  it('runs cross-field checks', () => {
    const r = parsePolicy({
      version: 1,
      operators: { allow: [A('a'), A('b')], deny: [A('b')] },
      services: { allow: [S('1')], deny: [S('1')] },
      minOperatorsPerService: 2,
      caps: {
        perRiskGroup: [
          { group: 'g', members: [A('a')], cap: 0.5 },
          { group: 'g', members: [], cap: 0.1 },
        ],
      },
      positions: [{ vault: A('c') }, { vault: A('C') }],
      scoring: {
        slashProbabilityOverrides: [{ probabilityPerYear: 0.1 }, { operator: A('a'), probabilityPerYear: 0.1 }, { operator: A('A'), probabilityPerYear: 0.2 }],
        serviceMetadata: [{ service: S('2'), haircut: 0.1, contractRisk: { audits: 1, ageDays: 10 } }],
        operatorMetadata: [{ operator: A('a'), riskGroup: 'nope' }],
      },
    })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      '$.caps.perRiskGroup[1].group: risk group "g" appears twice (first at index 0)',
      '$.minOperatorsPerService: minOperatorsPerService is 2 but only 1 operator is allowed (and not denied): no service could receive stake',
      `$.operators.deny[0]: ${A('b')} is also in operators.allow; an operator cannot be both allowed and denied`,
      `$.positions[1].vault: position ${A('c')} appears twice (first at index 0)`,
      '$.scoring.operatorMetadata[0].riskGroup: risk group "nope" of operator 0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa is not defined in caps.perRiskGroup',
      '$.scoring.serviceMetadata[0]: give either contractRisk or haircut, not both',
      '$.scoring.slashProbabilityOverrides[0]: give an operator, a service, or both',
      `$.scoring.slashProbabilityOverrides[2]: an override for ${A('a')}/* appears twice (first at index 1)`,
      `$.services.deny[0]: ${S('1')} is also in services.allow; a service cannot be both allowed and denied`,
    ])
  })

  it('loadPolicyOrThrow throws a PolicyError carrying the issues', () => {
    expect(() => loadPolicyOrThrow({ version: 1, leverageCap: 0.5 })).toThrowError(PolicyError)
    try {
      loadPolicyOrThrow({ version: 1, leverageCap: 0.5 })
    } catch (e) {
      expect(e).toMatchObject({ name: 'PolicyError', issues: [{ path: '$.leverageCap', message: 'leverageCap must be ≥ 1 (1 = no restaking amplification)' }] })
    }
  })

  it('formats JSON paths', () => {
    expect(jsonPath([])).toBe('$')
    expect(jsonPath(['caps', 'perRiskGroup', 0, 'cap'])).toBe('$.caps.perRiskGroup[0].cap')
    expect(jsonPath(['a b'])).toBe('$["a b"]')
  })
})

describe('Example policies (local/policies)', () => {
  it('has the three documented examples and every one validates', async () => {
    const files = (await readdir(POLICIES_DIR)).filter((f) => f.endsWith('.json')).sort()
    expect(files).toEqual(expect.arrayContaining(['aggressive-strategist.json', 'conservative-dao.json', 'webhook-driven.json']))
    for (const f of files) {
      const r = parsePolicy(JSON.parse(await readFile(new URL(f, POLICIES_DIR), 'utf8')))
      expect(r.ok ? [] : r.errors, f).toEqual([])
    }
  })
})

describe('JSON Schema', () => {
  it('the committed shared/domain/policy.schema.json equals the one generated from PolicySchema (run `autopilot policy schema --write`)', async () => {
    expect(await readFile(POLICY_SCHEMA_PATH, 'utf8')).toBe(policySchemaText())
  })

  it('policyDocs.ts describes every field of the document, and names no field that does not exist', () => {
    const fields = policyFieldPaths(policyJsonSchema() as never).map((f) => f.path)
    expect(fields.length).toBeGreaterThan(60)
    expect(fields.filter((p) => !p.endsWith('[]') && POLICY_FIELD_DOCS[p] === undefined)).toEqual([])
    expect(Object.keys(POLICY_FIELD_DOCS).filter((p) => !fields.includes(p))).toEqual([])
  })

  it('documents every property and exposes defaults', () => {
    const schema = policyJsonSchema() as { properties: Record<string, { description?: string; default?: unknown }>; required: string[] }
    for (const [k, v] of Object.entries(schema.properties)) expect(v.description, k).toBeTruthy()
    expect(schema.required).toEqual(['version'])
    expect(schema.properties.mode?.default).toBe('propose')
  })
})

describe('Command: autopilot policy', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'policy-cli-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('validate: exit 0 and a summary for a valid file', async () => {
    const f = join(dir, 'ok.json')
    await writeFile(f, JSON.stringify({ version: 1, mode: 'dry-run' }))
    const c = capture()
    expect(await policyCommand(['validate', f], c.io)).toBe(0)
    expect(c.out()).toContain('is a valid policy: mode dry-run, all positions')
  })

  it('validate: exit 1 listing every error with its path', async () => {
    const f = join(dir, 'bad.json')
    await writeFile(f, JSON.stringify({ version: 1, caps: { perOperator: 2 }, operators: { deny: ['nope'] } }))
    const c = capture()
    expect(await policyCommand(['validate', f], c.io)).toBe(1)
    expect(c.out()).toBe(`✗ ${f}: 2 problems\n  $.caps.perOperator: caps.perOperator must be ≤ 1 (a fraction: 1 = 100 %)\n  $.operators.deny[0]: must be an address: 0x followed by 40 hex digits\n`)
  })

  it('validate --json: machine-readable errors', async () => {
    const f = join(dir, 'bad2.json')
    await writeFile(f, JSON.stringify({ version: 1, riskBudget: -1 }))
    const c = capture()
    expect(await policyCommand(['validate', f, '--json'], c.io)).toBe(1)
    expect(JSON.parse(c.out())).toEqual({ file: f, valid: false, errors: [{ path: '$.riskBudget', message: 'riskBudget must be ≥ 0' }] })
  })

  it('validate: a file that is not JSON is invalid (exit 1, path $)', async () => {
    const f = join(dir, 'broken.json')
    await writeFile(f, '{ "version": 1,')
    const c = capture()
    expect(await policyCommand(['validate', f, '--json'], c.io)).toBe(1)
    expect(JSON.parse(c.out()).errors[0].path).toBe('$')
  })

  it('validate: exit 2 for a missing file or bad usage', async () => {
    const c = capture()
    expect(await policyCommand(['validate', join(dir, 'missing.json')], c.io)).toBe(2)
    expect(c.err()).toContain('ENOENT')
    expect(await policyCommand(['validate'], capture().io)).toBe(2)
    expect(await policyCommand(['validate', 'a', 'b'], capture().io)).toBe(2)
    expect(await policyCommand(['validate', 'a', '--yaml'], capture().io)).toBe(2)
    expect(await policyCommand([], capture().io)).toBe(2)
    expect(await policyCommand(['frobnicate'], capture().io)).toBe(2)
  })

  it('schema prints the schema; --out writes it', async () => {
    const c = capture()
    expect(await policyCommand(['schema'], c.io)).toBe(0)
    expect(JSON.parse(c.out()).title).toBe('restake-autopilot policy')
    const f = join(dir, 'schema.json')
    expect(await policyCommand(['schema', '--out', f], capture().io)).toBe(0)
    expect(await readFile(f, 'utf8')).toBe(policySchemaText())
    expect(await policyCommand(['schema', '--bogus'], capture().io)).toBe(2)
  })
})

describe('README policy section', () => {
  it('documents every field of the schema (a new field without documentation fails here)', async () => {
    const doc = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
    // Named fields (an array's items, `x[]`, are documented with the array).
    const paths = policyFieldPaths(policyJsonSchema() as never)
      .map((f) => f.path)
      .filter((p) => !p.endsWith('[]'))
    expect(paths.length).toBeGreaterThan(40)
    const missing = paths.filter((p) => !doc.includes(`| \`${p}\` |`))
    expect(missing).toEqual([])
  })
})
