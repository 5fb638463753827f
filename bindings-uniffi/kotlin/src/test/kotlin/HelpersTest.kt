import dev.invitekit.Acceptance
import dev.invitekit.Action
import dev.invitekit.ClientRecord
import dev.invitekit.ExportLine
import dev.invitekit.InvitekitException
import dev.invitekit.ParseOptions
import dev.invitekit.Role
import dev.invitekit.Status
import dev.invitekit.StatusKind
import dev.invitekit.acceptLink
import dev.invitekit.clientStatus
import dev.invitekit.createClientRecord
import dev.invitekit.deadline
import dev.invitekit.defaultSubject
import dev.invitekit.exportCsv
import dev.invitekit.exportHeader
import dev.invitekit.formatDeadline
import dev.invitekit.hashToken
import dev.invitekit.identity
import dev.invitekit.importCsv
import dev.invitekit.maskEmail
import dev.invitekit.mintId
import dev.invitekit.mintToken
import dev.invitekit.newClient
import dev.invitekit.newOrganization
import dev.invitekit.renderInvitation
import dev.invitekit.validateMessageOptions
import dev.invitekit.verifyToken
import java.time.Duration
import java.time.Instant
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** The pure helpers, for hosts that keep their own records. */
class HelpersTest {
    private val now: Instant = Instant.parse("2026-11-21T09:00:00Z")
    private val org = newOrganization(
        id = "acme", name = "Acme", createdAt = now, acceptUrl = "https://app.acme.example/i/{token}",
    )

    @Test
    fun tokensHashAndVerify() {
        val minted = mintToken()
        assertEquals(43, minted.token.length)
        assertEquals(64, minted.tokenHash.length)
        assertEquals(minted.tokenHash, hashToken(" ${minted.token} "))
        assertTrue(verifyToken(minted.token, minted.tokenHash))
        assertFalse(verifyToken(mintToken().token, minted.tokenHash))
        assertFalse(verifyToken("not a token", minted.tokenHash))
        assertEquals("invalid_token", assertFailsWith<InvitekitException.InvalidInput> { verifyToken(minted.token, "zz") }.code)
        val id = mintId("c_")
        assertTrue(id.startsWith("c_") && id.length == 24, id)
        assertTrue(mintId() != mintId())
    }

    @Test
    fun organizationsAreChecked() {
        assertEquals(14u, org.expiry)
        val window = assertFailsWith<InvitekitException.InvalidInput> {
            newOrganization(id = "x", name = "X", createdAt = now, expiryDays = 0u)
        }
        assertEquals("invalid_expiry_window", window.code)
        assertEquals("0", window.details["days"])
        val zone = assertFailsWith<InvitekitException.InvalidInput> {
            newOrganization(id = "x", name = "X", createdAt = now, timeZone = "Mars/Olympus")
        }
        assertEquals("invalid_time_zone", zone.code)
        assertEquals("invalid_message_text", assertFailsWith<InvitekitException.InvalidInput> {
            newOrganization(id = "x", name = "X\r\nBcc: x@example.com", createdAt = now)
        }.code)
        assertEquals("X", newOrganization(id = "x", name = "  X ", createdAt = now).name)
        // A record the host built itself is checked on the way in, with the same code.
        val record = createClientRecord(newClient("c1", "acme", now, email = "jane@example.com")).record
        val stale = assertFailsWith<InvitekitException.InvalidInput> {
            record.send(org.copy(timeZone = "Nowhere/Atlantis"), "i1", mintToken().tokenHash, now)
        }
        assertEquals("invalid_time_zone", stale.code)
        assertEquals("invalid_url", assertFailsWith<InvitekitException.InvalidInput> {
            newOrganization(id = "x", name = "X", createdAt = now, acceptUrl = "https://app.example/no-token")
        }.code)
    }

    @Test
    fun aClientRecordGoesThroughItsLifecycle() {
        val client = newClient("c1", "acme", now, email = "Jane.Doe@Example.COM", name = "Jane Doe")
        assertEquals("jane.doe@example.com", client.email?.key)
        val created = createClientRecord(client, by = "admin-1")
        assertEquals(Action.ClientCreated(Role.CLIENT), created.event.action)
        val record = created.record
        assertEquals(StatusKind.PROVISIONED, record.status(now).kind)
        assertEquals("Not invited yet", record.status(now).detail)

        val minted = mintToken()
        val events = record.send(org, "i1", minted.tokenHash, now, by = "admin-1")
        assertIs<Action.InvitationSent>(events.single().action)
        assertEquals(1UL, record.version())
        val pending = assertIs<Status.InvitePending>(record.status(now).status)
        assertEquals(now.plus(Duration.ofDays(14)), pending.expiresAt)
        // The same answer from the stored values.
        assertEquals(record.status(now.plusSeconds(3600)), clientStatus(record.client(), record.invitations(), now.plusSeconds(3600)))
        assertEquals(
            "Waiting for member to accept invitation (sent 21 Nov 2026)",
            record.status(now.plusSeconds(3600)).detail,
        )
        // The detail states dates in the zone asked for: 21 Nov 16:00 UTC is 22 Nov in Tokyo.
        val late = createClientRecord(newClient("c2", "acme", now, email = "ann@example.com")).record
        val lateSent = Instant.parse("2026-11-21T16:00:00Z")
        late.send(org, "i9", mintToken().tokenHash, lateSent)
        assertEquals("Invitation sent just now", clientStatus(late.client(), late.invitations(), lateSent).detail)
        val later = lateSent.plusSeconds(3600)
        val tokyo = clientStatus(late.client(), late.invitations(), later, timeZone = "Asia/Tokyo")
        assertEquals("Invite Pending", tokyo.label)
        assertEquals(StatusKind.INVITE_PENDING, tokyo.kind)
        assertEquals("Waiting for member to accept invitation (sent 22 Nov 2026)", tokyo.detail)
        assertEquals(
            "Waiting for member to accept invitation (sent 21 Nov 2026)",
            clientStatus(late.client(), late.invitations(), later).detail,
        )
        assertEquals("invalid_time_zone", assertFailsWith<InvitekitException.InvalidInput> {
            clientStatus(late.client(), late.invitations(), lateSent, timeZone = "Mars/Olympus")
        }.code)
        assertEquals("already_invited", assertFailsWith<InvitekitException.Conflict> {
            record.send(org, "i2", mintToken().tokenHash, now)
        }.code)

        val preview = record.preview(org, "i1", minted.token, now, inviter = "Ann")
        assertEquals(maskEmail(client.email!!.address), preview.maskedEmail)
        assertEquals("J•••@example.com", preview.maskedEmail)
        val wrong = assertFailsWith<InvitekitException.Forbidden> {
            record.accept(org, "i1", minted.token, identity("mallory@example.com"), now)
        }
        assertEquals("email_mismatch", wrong.code)
        val accepted = record.accept(org, "i1", minted.token, identity("jane.doe@example.com", subject = "u-1"), now)
        assertIs<Acceptance.Activated>(accepted)
        assertEquals("u-1", record.client().activatedBy?.subject)
        assertEquals(Acceptance.AlreadyAccepted, record.accept(org, "i1", minted.token, identity("JANE.DOE@example.com", subject = "u-1"), now))
        assertTrue(record.recordSeen(now.plus(Duration.ofDays(2))))
        assertEquals("Last seen 23 Nov 2026", record.status(now.plus(Duration.ofDays(3))).detail)
        record.archive(now.plus(Duration.ofDays(4)))
        assertEquals(StatusKind.ARCHIVED, record.status(now.plus(Duration.ofDays(4))).kind)

        // A record the host stored back is rebuilt; a stored value the core does not accept
        // (a token hash that is not 64 hex digits) is refused with its code.
        val stored = ClientRecord(record.client(), record.invitations())
        assertEquals(record.version(), stored.version())
        val damaged = record.invitations().map { it.copy(tokenHash = "zz") }
        assertEquals("invalid_token", assertFailsWith<InvitekitException.InvalidInput> {
            ClientRecord(record.client(), damaged)
        }.code)
    }

    @Test
    fun theInvitationEmailCarriesTheLinkAndRefusesHeaderInjection() {
        val minted = mintToken()
        val to = newClient("c1", "acme", now, email = "jane@example.com").email!!
        val expires = deadline(now, expiryDays = 14u)
        assertEquals(now.plus(Duration.ofDays(14)), expires)
        val message = renderInvitation(org, to, minted.token, expires, inviter = "Ann Admin", button = "Join Acme")
        val link = acceptLink(org.acceptUrl, minted.token)
        assertEquals("https://app.acme.example/i/${minted.token}", link)
        assertTrue(link in message.text && link in message.html)
        assertEquals(defaultSubject("Acme", "Ann Admin"), message.subject)
        assertEquals("Ann Admin invited you to Acme", message.subject)
        assertTrue("Join Acme" in message.html)
        assertTrue("expires on ${formatDeadline(expires, org.timeZone)}." in message.text, message.text)
        assertEquals("5 December 2026 at 10:00 CET", formatDeadline(expires, "Europe/Paris"))
        val injected = assertFailsWith<InvitekitException.InvalidInput> {
            renderInvitation(org, to, minted.token, expires, subject = "Hello\r\nBcc: x@example.com")
        }
        assertEquals("invalid_message_text", injected.code)
        assertEquals("subject", injected.details["field"])
        assertEquals("invalid_url", assertFailsWith<InvitekitException.InvalidInput> {
            validateMessageOptions(formUrl = "javascript:alert(1)")
        }.code)
    }

    @Test
    fun aCsvFileIsReadRowByRowAndTheTableExported() {
        val csv = "Name,Email,Role\nJane Doe,jane@example.com,staff\nBad,bad@@example.com,client\nAgain,JANE@example.com,\n"
        val import = importCsv(csv.toByteArray())
        assertTrue(import.layout.header)
        assertEquals(1u, import.layout.email)
        assertEquals(",", import.layout.delimiter)
        assertEquals(listOf(2UL, 3UL, 4UL), import.rows.map { it.line })
        assertEquals(listOf(null, "invalid_local_part", "duplicate"), import.rows.map { it.error })
        assertEquals(Role.STAFF, import.rows[0].role)
        assertEquals("Jane Doe", import.rows[0].name)
        assertEquals(2UL, import.rows[2].duplicateOfLine)
        assertEquals(listOf(1UL, 1UL, 1UL, 0UL), listOf(import.valid, import.invalid, import.duplicates, import.overLimit))
        assertFalse(import.acceptable)
        // A duplicate alone is left out of the batch, as the list parser leaves it out; a row
        // past the cap is not.
        val twice = importCsv("email\njane@example.com\nJANE@example.com\n".toByteArray())
        assertTrue(twice.acceptable)
        assertEquals(listOf(1UL, 0UL, 1UL, 0UL), listOf(twice.valid, twice.invalid, twice.duplicates, twice.overLimit))
        val capped = importCsv("email\na@example.com\nb@example.com\n".toByteArray(), ParseOptions(maxAddresses = 1u))
        assertEquals(listOf(null, "over_limit"), capped.rows.map { it.error })
        assertFalse(capped.acceptable)
        assertEquals("no_email_column", assertFailsWith<InvitekitException.InvalidInput> {
            importCsv("a,b\n1,2\n".toByteArray())
        }.code)
        assertEquals("input_too_large", assertFailsWith<InvitekitException.InvalidInput> {
            importCsv(csv.toByteArray(), maxBytes = 10UL)
        }.code)

        val exported = exportCsv(
            listOf(ExportLine(name = "=cmd()", email = "jane@example.com", role = Role.CLIENT, status = "Activated", createdAt = now)),
        )
        val lines = exported.trimEnd().lines()
        assertEquals(exportHeader().joinToString(","), lines[0])
        assertTrue(lines[1].startsWith("'=cmd()"), lines[1])
        assertNull(importCsv(exported.toByteArray()).rows.single().error)
    }
}
