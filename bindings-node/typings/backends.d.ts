// ---------------------------------------------------------------------------------------------
// Stores written in JavaScript (`lib/backends.js`): see STORES.md.

/** An `Error` whose `code` is `"conflict"`: what a store's `commit` throws (or rejects with) when an expectation fails. */
export declare function conflictError(message?: string): Error & { code: 'conflict' }

/** Compares two keys in code point order (UTF-8 byte order), the order `scan` must answer in. */
export declare function compareKeys(a: string, b: string): number

/**
 * A `DocumentBackend` keeping documents in `Map`s: for tests, and the reference for a backend on
 * a real database. Its methods are `async`; several `Invitations` may share one backend.
 */
export declare class MemoryBackend implements DocumentBackend {
  constructor()
  /** How many commits succeeded. */
  commits: number
  get(kind: string, key: string): Promise<[string, number, string] | null>
  scan(kind: string, prefix: string): Promise<Array<[string, number, string]>>
  commit(writes: DocumentWrite[]): Promise<void>
}
