/**
 * invitekit: client invitations for SaaS platforms, with the rules in Rust.
 *
 * This part of `index.d.ts` is written by hand (`typings/*.d.ts`): the string-literal unions,
 * the records, and what `index.js` adds in front of the native addon (`InvitekitError`,
 * `errorCodes`, `errorFor`, `parseAddresses`). The rest is generated from the Rust sources by
 * `napi build`.
 */

// ---------------------------------------------------------------------------------------------
// Codes and names: string-literal unions of the core's snake_case names.

/** A code an entry of a parsed list (or a row of a CSV file) may carry. */
export type EntryErrorCode =
  | 'not_an_address'
  | 'missing_local_part'
  | 'missing_domain'
  | 'invalid_local_part'
  | 'local_part_dots'
  | 'quoted_local_part'
  | 'comment'
  | 'invalid_domain'
  | 'dotless_domain'
  | 'invalid_tld'
  | 'special_use_domain'
  | 'ip_literal'
  | 'invalid_ip_literal'
  | 'invisible_character'
  | 'bidi_control'
  | 'symbol_character'
  | 'local_part_too_long'
  | 'domain_too_long'
  | 'label_too_long'
  | 'address_too_long'
  | 'unexpected_text'
  | 'duplicate'
  | 'over_limit'

/** Every published error code (`testdata/error_codes.json`), entry codes first. */
export type ErrorCode =
  | EntryErrorCode
  | 'input_too_large'
  | 'invalid_utf8'
  | 'invalid_role'
  | 'invalid_status'
  | 'invalid_expiry_window'
  | 'invalid_time_zone'
  | 'invalid_token'
  | 'entropy_unavailable'
  | 'client_not_found'
  | 'invitation_not_found'
  | 'client_exists'
  | 'invitation_exists'
  | 'no_email'
  | 'already_invited'
  | 'not_invited'
  | 'invitation_expired'
  | 'invitation_revoked'
  | 'already_activated'
  | 'client_archived'
  | 'already_archived'
  | 'not_archived'
  | 'email_mismatch'
  | 'forbidden'
  | 'signup_link_disabled'
  | 'signup_link_exhausted'
  | 'email_domain_not_allowed'
  | 'missing_email'
  | 'no_email_column'
  | 'read_failed'
  | 'write_failed'
  | 'invalid_batch'
  | 'empty_batch'
  | 'invalid_message_text'
  | 'invalid_url'
  | 'organization_not_found'
  | 'organization_exists'
  | 'group_not_found'
  | 'group_exists'
  | 'program_not_found'
  | 'signup_link_not_found'
  | 'message_not_found'
  | 'conflict'
  | 'storage_failed'
  | 'delivery_failed'

/**
 * The family of a code: the Python package's exception classes, for a host to map to its own
 * idiom (e.g. HTTP 422, 400, 403, 404, 409, 410, 409, 503, 502).
 */
export type ErrorFamily =
  | 'invalid_addresses'
  | 'invalid_input'
  | 'forbidden'
  | 'not_found'
  | 'already_exists'
  | 'expired'
  | 'conflict'
  | 'storage'
  | 'delivery'

/** A client's status at an instant (its label: `Provisioned`, `Invite Pending`, ...). */
export type Status = 'provisioned' | 'invite_pending' | 'invite_expired' | 'activated' | 'archived'

/** A member's role in an organization. */
export type Role = 'admin' | 'staff' | 'client' | 'guest'

/** The commands of the transition table (`expire` is time reaching a deadline). */
export type Command = 'create' | 'send' | 'resend' | 'accept' | 'revoke' | 'archive' | 'restore' | 'expire'

/** Something a member does to one client record (`authorize`). */
export type Operation =
  | 'create'
  | 'send'
  | 'resend'
  | 'revoke'
  | 'archive'
  | 'restore'
  | 'assign'
  | 'edit'
  | 'view'

/** Something a member does to the organization as a whole (`authorizeOrg`). */
export type OrgOperation = 'manage_settings' | 'manage_signup_links' | 'manage_groups' | 'view_clients'

/** A permission a role may hold; a denial names one. */
export type Permission =
  | 'manage_organization'
  | 'manage_admins'
  | 'manage_staff'
  | 'manage_clients'
  | 'manage_any_invitation'
  | 'add_guests'

/** Whose identity may accept an invitation. */
export type EmailBinding = 'same_address' | 'same_domain' | 'any_identity'

/** The state of one link at an instant, as a preview shows it. */
export type LinkState = 'live' | 'expired' | 'revoked' | 'accepted' | 'client_archived'

// ---------------------------------------------------------------------------------------------
// Errors.

/**
 * Every failure invitekit reports: an `Error` with a stable `code`. `message` is the core's
 * message, `"code: text"` (as Node's own `ENOENT: ...` errors read).
 */
export declare class InvitekitError extends Error {
  /** An error carrying `code`, with `message` (the code's meaning by default). */
  constructor(code: ErrorCode, message?: string)
  readonly name: 'InvitekitError'
  /** The published code. */
  readonly code: ErrorCode
  /** The error's particulars (`limit`, `permission`, `command` and `status`, `field`, ...). */
  readonly details: ErrorDetails
  /** For `invalid_batch`: the entries at fault, in input order; otherwise empty. */
  readonly entries: readonly BatchEntry[]
  /** For `forbidden`: the missing permission; otherwise `null`. */
  readonly permission: Permission | null
}

/** The particulars an error may carry; which ones depends on its code. */
export interface ErrorDetails {
  /** `input_too_large`: the bound, in bytes. */
  readonly limit?: number
  /** `invalid_utf8`: how many leading bytes were valid. */
  readonly validUpTo?: number
  /** `invalid_expiry_window`: the days asked for. */
  readonly days?: number
  /** `invalid_time_zone`: the name given. */
  readonly name?: string
  /** A refusal of the transition table: the command refused. */
  readonly command?: Command
  /** A refusal of the transition table: the client's status then (`null`: no record). */
  readonly status?: Status | null
  /** `email_mismatch`: the organization's binding. */
  readonly binding?: EmailBinding
  /** `forbidden`: the missing permission. */
  readonly permission?: Permission
  /** `signup_link_exhausted`: the link's maximum. */
  readonly maxUses?: number
  /** `invalid_message_text`, `invalid_url`: which field (`subject`, `form_url`, ...). */
  readonly field?: string
  /** `storage_failed`, `read_failed`, `write_failed`, `delivery_failed`: what failed said. */
  readonly reason?: string
}

/** One entry at fault of a refused batch. */
export interface BatchEntry {
  /** Its index among the batch's entries, from 0. */
  readonly index: number
  /** Its line, from 1 (for CSV, the row's first line). */
  readonly line: number
  /** Its column, from 1, in characters (1 for a CSV row). */
  readonly column: number
  /** Its place in the pasted text, in UTF-16 code units (0 for a CSV row). */
  readonly start: number
  /** See `start`. */
  readonly end: number
  /** The text as written. */
  readonly text: string
  /** What is wrong. */
  readonly code: ErrorCode
  /** For `duplicate`: the index of the entry it repeats. */
  readonly duplicateOf: number | null
}

/** Every published code, in the order of `testdata/error_codes.json`. */
export declare const errorCodes: readonly ErrorCode[]

/**
 * An `InvitekitError` carrying `code`, with `message` (the code's meaning by default): what a
 * host throws for a code it produced itself (a store or a mailer written in JavaScript reports
 * `storage_failed`, `conflict` or `delivery_failed` this way). A text that is not a published
 * code throws a `TypeError`.
 */
export declare function errorFor(code: ErrorCode, message?: string): InvitekitError

// ---------------------------------------------------------------------------------------------
// The pasted-list parser.

/**
 * Parses a pasted list of addresses (at most `maxInputBytes` UTF-8 bytes): every entry with its
 * exact place in the text and one verdict. Throws `input_too_large` for a longer text.
 */
export declare function parseAddresses(text: string, options?: ParseOptions | null): AddressList

/** The result of `parseAddresses`: every entry, and the counts a form shows. */
export interface AddressList {
  /** No invalid and no over-limit entries: the list may be used as a batch. */
  acceptable: boolean
  /** Unique valid addresses within the cap. */
  valid: number
  /** Entries with an error other than `duplicate` and `over_limit`. */
  invalid: number
  /** Entries with `duplicate`. */
  duplicates: number
  /** Entries with `over_limit`. */
  overLimit: number
  /** Every entry, in input order. */
  entries: AddressEntry[]
}

/** One entry of a parsed list: a place in the text and the verdict on it. */
export interface AddressEntry {
  /** Position in the list, from 0. */
  index: number
  /** The entry's text exactly as in the input: `text.slice(entry.start, entry.end)`. */
  raw: string
  /** Where the entry starts in the input, in UTF-16 code units (JavaScript string indices). */
  start: number
  /** Just past the entry's end, in UTF-16 code units. */
  end: number
  /** Line of `start`, from 1. */
  line: number
  /** Column of `start` on its line, from 1, in code points. */
  column: number
  /** The display name, or `null`. */
  name: string | null
  /** The address as typed, once names, brackets, `mailto:` and punctuation are trimmed. */
  address: string | null
  /** NFC local part and lowercase punycode domain; `null` when invalid. */
  normalized: string | null
  /** The dedup key; `null` when invalid. */
  key: string | null
  /** Whether the local part is non-ASCII (delivery needs SMTPUTF8). */
  smtputf8: boolean
  /** The entry's code, or `null` for a unique valid address within the cap. */
  error: EntryErrorCode | null
  /** For `duplicate`: the index of the first entry with the same key. */
  duplicateOf: number | null
}

// ---------------------------------------------------------------------------------------------
// Records: the core's serde form with camelCase keys and `Date` instants. Functions that take a
// record also take it with RFC 3339 text for instants (what `JSON.parse` gives back).

/** An instant, given as a `Date` or RFC 3339 text (`"2026-11-21T09:00:00Z"`). */
export type Instant = Date | string

/** An organization's settings, the ones the rules read. */
export interface Organization {
  id: string
  name: string
  /** The expiry window, in days (1 to 90). */
  expiry: number
  /** The IANA time zone deadlines are stated in. */
  timeZone: string
  emailBinding: EmailBinding
  /** The accept link's template, with `{token}`. */
  acceptUrl: string
  createdAt: Date
}

/** An organization as a function takes it: missing settings take `newOrganization`'s defaults. */
export interface OrganizationInput {
  id: string
  name: string
  expiry?: number
  timeZone?: string
  emailBinding?: EmailBinding
  acceptUrl?: string
  createdAt?: Instant
}

/** Who controls a record. */
export type Owner = { kind: 'organization' } | { kind: 'member'; id: string }

/** The identity that accepted an invitation, as the host authenticated it. */
export interface Identity {
  email: Email
  /** The host's own id for the account. */
  subject: string | null
}

/** A client record (whatever its role). */
export interface Client {
  id: string
  org: string
  email: Email | null
  name: string | null
  role: Role
  programs: string[]
  groups: string[]
  assignedStaff: string | null
  company: string | null
  guestOf: string | null
  owner: Owner
  createdBy: string | null
  createdAt: Date
  activatedAt: Date | null
  activatedBy: Identity | null
  lastSeenAt: Date | null
  archivedAt: Date | null
  /** Bumped by every change; stores compare and set on it. */
  version: number
}

/**
 * A client record as a function takes it: `email` may be text (parsed and keyed as the list
 * parser does); `programs`, `groups`, `owner` and `version` default to empty, the organization
 * and 0.
 */
export interface ClientInput {
  id: string
  org: string
  role: Role
  createdAt: Instant
  email?: string | Email | null
  name?: string | null
  programs?: readonly string[]
  groups?: readonly string[]
  assignedStaff?: string | null
  company?: string | null
  guestOf?: string | null
  owner?: Owner
  createdBy?: string | null
  activatedAt?: Instant | null
  activatedBy?: { email: Email; subject?: string | null } | null
  lastSeenAt?: Instant | null
  archivedAt?: Instant | null
  version?: number
}

/** One invitation: a link sent to a client (only its token's hash is kept). */
export interface Invitation {
  id: string
  org: string
  client: string
  tokenHash: string
  sentBy: string | null
  sentAt: Date
  expiresAt: Date
  revokedAt: Date | null
  acceptedAt: Date | null
  retiredAt: Date | null
}

/** An invitation as a function takes it. */
export interface InvitationInput {
  id: string
  org: string
  client: string
  tokenHash: string
  sentBy?: string | null
  sentAt: Instant
  expiresAt: Instant
  revokedAt?: Instant | null
  acceptedAt?: Instant | null
  retiredAt?: Instant | null
}

/** The acting member: their client id and role. */
export interface Member {
  id: string
  role: Role
}

/** Who did something. */
export type Actor = { kind: 'member'; id: string } | { kind: 'system' }

/** What an event is about. */
export interface EventSubject {
  kind: 'client' | 'invitation' | 'group' | 'company' | 'signup_link' | 'organization'
  id: string
}

/** What happened (`type` names it). */
export type Action =
  | { type: 'client_created'; role: Role }
  | { type: 'invitation_sent'; client: string; expiresAt: Date }
  | { type: 'invitation_resent'; client: string; expiresAt: Date }
  | { type: 'invitation_accepted'; client: string }
  | { type: 'invitation_revoked'; client: string }
  | { type: 'invitation_retired'; client: string }
  | { type: 'client_archived' }
  | { type: 'client_restored' }
  | { type: 'ownership_transferred'; from: Owner; to: Owner }
  | { type: 'joined_through_signup_link'; link: string }
  | {
      type: 'client_assigned'
      assignment:
        | { kind: 'program'; id: string }
        | { kind: 'group'; id: string }
        | { kind: 'staff'; id: string | null }
    }
  | { type: 'group_created'; name: string }
  | { type: 'group_renamed'; name: string }
  | { type: 'group_deleted' }
  | { type: 'program_created'; name: string }
  | { type: 'signup_link_created'; role: Role }
  | { type: 'signup_link_rotated' }
  | { type: 'signup_link_disabled' }

/** One line of an organization's activity log. Events never carry tokens or their hashes. */
export interface InvitekitEvent {
  org: string
  actor: Actor
  action: Action
  subject: EventSubject
  at: Date
}

/** A client's status at an instant, with the line a table shows under its label. */
export interface ClientStatus {
  status: Status
  /** `Invite Pending`. */
  label: string
  /** `Waiting for member to accept invitation (sent 21 Nov 2026)`. */
  detail: string
  /** Invite Pending and Invite Expired: the latest sending. */
  sentAt?: Date
  /** Invite Pending: the latest deadline among the live invitations. */
  expiresAt?: Date
  /** Invite Expired: the latest deadline, now past. */
  expiredAt?: Date
  /** Activated: when. */
  acceptedAt?: Date
  /** Activated: when the client was last seen, if reported. */
  lastSeenAt?: Date
  /** Archived: when. */
  archivedAt?: Date
}

/** One cell of the transition table. */
export interface Outcome {
  /** `to` (`status` is the status after), `unchanged`, `derived` (restore) or `refused`. */
  kind: 'to' | 'unchanged' | 'derived' | 'refused'
  status: Status | null
  /** For `refused`: the code. */
  error: ErrorCode | null
  /** Whether the command is allowed (any kind but `refused`). */
  allowed: boolean
}

/** What a link's holder may see before accepting. */
export interface Preview {
  organization: string
  inviter: string | null
  /** `j•••@example.com`. */
  maskedEmail: string
  expiresAt: Date
  /** The deadline as the email states it, in the organization's time zone. */
  deadline: string
  state: LinkState
}

/** What `accept` did. */
export type Acceptance = { result: 'activated'; events: InvitekitEvent[] } | { result: 'already_accepted' }

/** A rendered invitation email. */
export interface InvitationMessage {
  to: string
  toName: string | null
  subject: string
  text: string
  html: string
}

// ---------------------------------------------------------------------------------------------
// CSV.

/** The result of `importCsv`: every row with its own verdict, and the counts. */
export interface CsvImport {
  rows: ImportRow[]
  /** The rows with an error (duplicates and over-limit rows included). */
  errors: ImportRow[]
  layout: CsvLayout
  valid: number
  invalid: number
  duplicates: number
  overLimit: number
  /** No invalid and no over-limit rows: the file may be used as a batch. */
  acceptable: boolean
}

/** One row of an imported file. */
export interface ImportRow {
  /** The line the record starts on, from 1. */
  line: number
  /** The email cell as written (trimmed). */
  rawEmail: string
  /** The address and its key, when valid (also for duplicates). */
  email: Email | null
  name: string | null
  role: Role | null
  group: string | null
  program: string | null
  /** Why the row cannot be used; `null` when it can. */
  error: ErrorCode | null
  /** For a duplicate: the line of the row with the same address. */
  duplicateOfLine: number | null
}

/** Where an import found each column (0-based), and how the file is cut. */
export interface CsvLayout {
  delimiter: ',' | ';' | '\t'
  header: boolean
  email: number
  name: number | null
  firstName: number | null
  lastName: number | null
  role: number | null
  group: number | null
  program: number | null
}

/** One row of `exportCsv`. */
export interface ExportRow {
  name?: string | null
  email?: string | null
  role?: Role | null
  /** A status code or label; written as its label. */
  status?: Status | string | null
  /** A group's name, or several (joined with `; `). */
  group?: string | readonly string[] | null
  assignedStaffEmail?: string | null
  lastVisit?: Instant | null
  createdAt: Instant
  activatedAt?: Instant | null
}

/** The export's header, as its first line has it. */
export declare const EXPORT_HEADER: readonly string[]
