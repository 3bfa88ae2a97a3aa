/** The DynamoDB document client and the JSON codec for bigint-bearing records. */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'

/** Creates a document client (endpoint override for DynamoDB Local). */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: { removeUndefinedValues: true } })
}

/** JSON.stringify with bigint written as `"123n"`-free decimal strings tagged by a wrapper, reversible by {@link decodeJson}. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v))
}

/** Inverse of {@link encodeJson}. */
export function decodeJson<T = unknown>(text: string): T {
  return JSON.parse(text, (_k, v: unknown) => (v && typeof v === 'object' && '$bigint' in v && Object.keys(v).length === 1 ? BigInt((v as { $bigint: string }).$bigint) : v)) as T
}
