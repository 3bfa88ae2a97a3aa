/**
 * The versioned policy store (table `policies`): the curator's policy and the protocol config live here instead of
 * the Lambda environment, so a change takes effect on the next run without a deploy and has no 4 KB ceiling.
 *
 * Items, per kind (`policy` | `config`): immutable versions `v000000001`, `v000000002`, … each with the document
 * (JSON text), its SHA-256, the author, the time and how it was made (push or rollback of version N); and one
 * `CURRENT` item pointing at the version the functions use. A push is one transaction — put version N+1 if absent,
 * move CURRENT from the version the writer read — so two concurrent pushes never both become version N+1 (the
 * loser gets {@link StaleWriteError}, nothing of it is written). Nothing ever updates or deletes a version.
 *
 * {@link PolicySource} is what a run asks for its policy (and config): {@link StorePolicySource} reads CURRENT with
 * a short cache; locally the environment (POLICY_JSON / POLICY_PATH) can stand in for it.
 */
import { createHash } from 'node:crypto'
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb'
import { RestakeError } from '../errors.js'
import { loadPolicyOrThrow, type Policy } from '../domain/policy.js'
import { TableStore } from './tableStore.js'

/** What the store versions: the curator's policy, or the protocol config. */
export type DocumentKind = 'policy' | 'config'

/** The sort key of the pointer item. */
export const CURRENT_REF = 'CURRENT'

/** DynamoDB items hold 400 KB; a document (plus its metadata) must stay below this many bytes (about 35 × a 10 KB policy). */
export const MAX_DOCUMENT_BYTES = 350_000

/** How a version was made. */
export type VersionAction = 'push' | 'rollback'

/** One immutable version of a policy or config. */
export interface StoredVersion {
  kind: DocumentKind
  version: number
  /** The document as JSON text (2-space indented). */
  document: string
  /** SHA-256 of `document`, hex. */
  hash: string
  /** Who wrote it (`--author`, git user, AWS caller or $USER). */
  author: string
  /** Epoch ms. */
  createdAt: number
  action: VersionAction
  /** For a rollback: the version it restores. */
  rollbackOf?: number
  /** Free text, e.g. the file it was pushed from. */
  note?: string
}

/** A version's sort key: zero-padded so that history reads in order. */
export function versionRef(version: number): string {
  return `v${String(version).padStart(9, '0')}`
}

/** The canonical text of a document: what is stored, hashed and diffed. */
export function documentText(doc: unknown): string {
  return `${JSON.stringify(doc, null, 2)}\n`
}

/** SHA-256 of a document's text, hex. */
export function documentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** No version of `kind` has been pushed to the table yet. */
export class NoCurrentVersionError extends RestakeError {
  override name = 'NoCurrentVersionError' as const
  constructor(p: { kind: DocumentKind; table: string }) {
    super(`No ${p.kind} has been pushed to ${p.table}.`, { details: `push one first: autopilot ${p.kind} push FILE --table ${p.table}` })
  }
}

/** A version number that is not in the table. */
export class VersionNotFoundError extends RestakeError {
  override name = 'VersionNotFoundError' as const
  constructor(p: { kind: DocumentKind; version: number; table: string }) {
    super(`${p.kind} version ${p.version} is not in ${p.table}.`, { details: `list the versions with: autopilot ${p.kind} history --table ${p.table}` })
  }
}

/** A document too large for one DynamoDB item. */
export class DocumentTooLargeError extends RestakeError {
  override name = 'DocumentTooLargeError' as const
  constructor(p: { kind: DocumentKind; bytes: number }) {
    super(`The ${p.kind} is ${p.bytes} bytes; the store holds up to ${MAX_DOCUMENT_BYTES} bytes per version.`)
  }
}

/** What {@link PolicyStore.push} writes. */
export interface PushParameters {
  kind: DocumentKind
  /** The (already validated) document. */
  document: unknown
  author: string
  /** Epoch ms. */
  now: number
  action?: VersionAction
  rollbackOf?: number
  note?: string
}

/** What {@link PolicyStore.push} did: the new version, or the current one when the document equals it (nothing written). */
export type PushReturnType = { written: true; version: StoredVersion; previous?: number } | { written: false; version: StoredVersion }

/** Where the versions are: a document client and the policies table. */
export interface PolicyTable {
  client: DynamoDBDocumentClient
  tableName: string
}

/** The CURRENT pointer of `kind` (version number), or undefined when nothing was pushed. */
export async function readCurrentVersion(t: PolicyTable, kind: DocumentKind): Promise<number | undefined> {
  const out = await t.client.send(new GetCommand({ TableName: t.tableName, Key: { kind, ref: CURRENT_REF }, ConsistentRead: true }))
  return out.Item ? Number(out.Item.version) : undefined
}

/** One version, or undefined. */
export async function readVersion(t: PolicyTable, kind: DocumentKind, version: number): Promise<StoredVersion | undefined> {
  const out = await t.client.send(new GetCommand({ TableName: t.tableName, Key: { kind, ref: versionRef(version) }, ConsistentRead: true }))
  return out.Item ? fromItem(out.Item) : undefined
}

/** Reads and writes policy / config versions (table: policies). The functions only read: {@link StorePolicySource}. */
export class PolicyStore extends TableStore {
  /** The CURRENT pointer of `kind` (version number), or undefined when nothing was pushed. */
  currentVersion(kind: DocumentKind): Promise<number | undefined> {
    return readCurrentVersion({ client: this.client, tableName: this.tableName }, kind)
  }

  /** One version, or undefined. */
  get(kind: DocumentKind, version: number): Promise<StoredVersion | undefined> {
    return readVersion({ client: this.client, tableName: this.tableName }, kind, version)
  }

  /** The version CURRENT points at, or undefined when nothing was pushed. */
  async current(kind: DocumentKind): Promise<StoredVersion | undefined> {
    const v = await this.currentVersion(kind)
    return v === undefined ? undefined : this.get(kind, v)
  }

  /** The version CURRENT points at; {@link NoCurrentVersionError} when nothing was pushed. */
  async requireCurrent(kind: DocumentKind): Promise<StoredVersion> {
    const v = await this.current(kind)
    if (!v) throw new NoCurrentVersionError({ kind, table: this.tableName })
    return v
  }

  /** One version; {@link VersionNotFoundError} when absent. */
  async require(kind: DocumentKind, version: number): Promise<StoredVersion> {
    const v = await this.get(kind, version)
    if (!v) throw new VersionNotFoundError({ kind, version, table: this.tableName })
    return v
  }

  /** Versions newest first (at most `limit`). */
  async history(kind: DocumentKind, limit = 20): Promise<StoredVersion[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'kind = :k AND begins_with(#ref, :v)',
        ExpressionAttributeNames: { '#ref': 'ref' },
        ExpressionAttributeValues: { ':k': kind, ':v': 'v' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    )
    return (out.Items ?? []).map(fromItem)
  }

  /**
   * Writes `document` as the next version and points CURRENT at it, in one transaction conditioned on the
   * version read first: a concurrent push that got there first makes this one fail with {@link StaleWriteError}
   * and write nothing. A document equal to the current one is not written again (`written: false`).
   */
  async push(p: PushParameters): Promise<PushReturnType> {
    const document = documentText(p.document)
    const bytes = Buffer.byteLength(document)
    if (bytes > MAX_DOCUMENT_BYTES) throw new DocumentTooLargeError({ kind: p.kind, bytes })
    const hash = documentHash(document)
    const current = await this.current(p.kind)
    if (current && current.hash === hash && (p.action ?? 'push') === 'push') return { written: false, version: current }
    const previous = current?.version
    const version: StoredVersion = {
      kind: p.kind,
      version: (previous ?? 0) + 1,
      document,
      hash,
      author: p.author,
      createdAt: p.now,
      action: p.action ?? 'push',
      ...(p.rollbackOf !== undefined ? { rollbackOf: p.rollbackOf } : {}),
      ...(p.note ? { note: p.note } : {}),
    }
    await this.conditional(`${p.kind}#${versionRef(version.version)}`, () =>
      this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.tableName, Item: { ...version, ref: versionRef(version.version) }, ConditionExpression: 'attribute_not_exists(#ref)', ExpressionAttributeNames: { '#ref': 'ref' } } },
            {
              Put: {
                TableName: this.tableName,
                Item: { kind: p.kind, ref: CURRENT_REF, version: version.version, hash, author: p.author, updatedAt: p.now },
                ...(previous === undefined
                  ? { ConditionExpression: 'attribute_not_exists(#ref)', ExpressionAttributeNames: { '#ref': 'ref' } }
                  : { ConditionExpression: '#version = :prev', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':prev': previous } }),
              },
            },
          ],
        }),
      ),
    )
    return { written: true, version, ...(previous !== undefined ? { previous } : {}) }
  }

  /** Writes a new version equal to version `n`, recorded as a rollback of `n`. */
  async rollback(p: { kind: DocumentKind; to: number; author: string; now: number }): Promise<Extract<PushReturnType, { written: true }>> {
    const target = await this.require(p.kind, p.to)
    const out = await this.push({ kind: p.kind, document: JSON.parse(target.document), author: p.author, now: p.now, action: 'rollback', rollbackOf: p.to })
    return out as Extract<PushReturnType, { written: true }>
  }
}

function fromItem(item: Record<string, unknown>): StoredVersion {
  const { ref: _ref, ...rest } = item
  return { ...rest, version: Number(item.version), createdAt: Number(item.createdAt) } as StoredVersion
}

/** The policy (and protocol config) one run uses, and where they came from. */
export interface RunSettings {
  policy: Policy
  /** The stored version used; absent when the policy came from the environment (local). */
  policyVersion?: number
  /** SHA-256 of the policy document's canonical text. */
  policyHash: string
  /** The stored protocol config (merged over AUTOPILOT_CONFIG); absent when AUTOPILOT_CONFIG carries it. */
  protocol?: Record<string, unknown>
  configVersion?: number
  configHash?: string
}

/** Where a run gets its policy (and config): the store in AWS, the environment locally. */
export interface PolicySource {
  /** The settings for a run starting at `now` (epoch ms). */
  current(now: number): Promise<RunSettings>
}

/** A fixed policy (POLICY_JSON / POLICY_PATH, a test): same settings every run, no version. */
export class StaticPolicySource implements PolicySource {
  private readonly settings: RunSettings
  constructor(document: unknown) {
    this.settings = { policy: loadPolicyOrThrow(document), policyHash: documentHash(documentText(document)) }
  }
  async current(): Promise<RunSettings> {
    return this.settings
  }
}

/** Default time a store read is reused: a push takes effect within this long. */
export const POLICY_CACHE_MS = 30_000

/** Parameters of {@link StorePolicySource}. */
export interface StorePolicySourceParameters {
  store: PolicyTable
  /** Where the policy comes from when not the store (local: POLICY_JSON / POLICY_PATH). */
  policy?: PolicySource
  /** Read the protocol config from the store too (AWS: AUTOPILOT_CONFIG carries only chainId and tables). */
  config: boolean
  /** How long a read is reused, ms (default {@link POLICY_CACHE_MS}). */
  cacheMs?: number
}

/**
 * The current policy (and config) from the store. The CURRENT pointers are read at most once per `cacheMs`;
 * versions are immutable, so a parsed version is kept until CURRENT moves.
 */
export class StorePolicySource implements PolicySource {
  private cached: { at: number; settings: RunSettings } | undefined
  constructor(private readonly p: StorePolicySourceParameters) {}

  async current(now: number): Promise<RunSettings> {
    if (this.cached && now - this.cached.at < (this.p.cacheMs ?? POLICY_CACHE_MS)) return this.cached.settings
    const prev = this.cached?.settings
    const { store } = this.p
    const fromStore = async (kind: DocumentKind, known: number | undefined) => {
      const v = await readCurrentVersion(store, kind)
      if (v === undefined) throw new NoCurrentVersionError({ kind, table: store.tableName })
      if (v === known) return undefined
      const read = await readVersion(store, kind, v)
      if (!read) throw new VersionNotFoundError({ kind, version: v, table: store.tableName })
      return read
    }
    const [policyVersion, configVersion] = await Promise.all([this.p.policy ? undefined : fromStore('policy', prev?.policyVersion), this.p.config ? fromStore('config', prev?.configVersion) : undefined])
    const policy = this.p.policy
      ? await this.p.policy.current(now)
      : policyVersion
        ? { policy: loadPolicyOrThrow(JSON.parse(policyVersion.document)), policyVersion: policyVersion.version, policyHash: policyVersion.hash }
        : { policy: prev!.policy, policyVersion: prev!.policyVersion, policyHash: prev!.policyHash }
    const config = !this.p.config
      ? {}
      : configVersion
        ? { protocol: JSON.parse(configVersion.document) as Record<string, unknown>, configVersion: configVersion.version, configHash: configVersion.hash }
        : { protocol: prev!.protocol, configVersion: prev!.configVersion, configHash: prev!.configHash }
    const settings: RunSettings = { ...policy, ...config }
    this.cached = { at: now, settings }
    return settings
  }
}
