/** How the bot names an address or id for people: its label from the config, else a short hex. */

/** Labels of addresses and ids (the config's `labels`), keyed in lower case. */
export type Labels = Readonly<Record<string, string>>

/** The short form of an address or bytes32 id for people: `0x1234ab…cdef`. */
export function shortHex(k: string): string {
  return `${k.slice(0, 8)}…${k.slice(-4)}`
}

/**
 * The label of `k` (address or id, any case) in `labels`, else `fallback`.
 * @param labels labels keyed in lower case
 * @param k the address or id
 * @param fallback what to show when `k` has no label (default: {@link shortHex})
 */
export function label(labels: Labels, k: string, fallback: string = shortHex(k)): string {
  return labels[k.toLowerCase()] ?? fallback
}

/** {@link label} bound to one labels map, for code that names many things. */
export function labeler(labels: Labels): (k: string) => string {
  return (k) => label(labels, k)
}
