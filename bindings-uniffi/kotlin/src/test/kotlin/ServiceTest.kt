import dev.invitekit.AssignTo
import dev.invitekit.DeliveryState
import dev.invitekit.EntryOutcome
import dev.invitekit.FixedClock
import dev.invitekit.InternalException
import dev.invitekit.Invitations
import dev.invitekit.InvitekitException
import dev.invitekit.LinkState
import dev.invitekit.ListOptions
import dev.invitekit.Mailer
import dev.invitekit.MailerException
import dev.invitekit.NewClientsOptions
import dev.invitekit.OutboxMessage
import dev.invitekit.Role
import dev.invitekit.Status
import dev.invitekit.StatusKind
import dev.invitekit.deadline
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.time.Instant
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.test.AfterTest
import kotlin.test.BeforeTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** A mailer written in Kotlin: keeps what it delivers, and fails while told to. */
class KotlinMailer : Mailer {
    val delivered: MutableList<OutboxMessage> = Collections.synchronizedList(mutableListOf())

    /** `null`: deliver; else what to throw (an `Exception`, or a JVM `Error`). */
    @Volatile var failure: Throwable? = null

    /** What `send` answers when it does not throw: `false` declines the message. */
    @Volatile var takes: Boolean = true

    override fun send(message: OutboxMessage): Boolean {
        failure?.let { throw it }
        if (takes) delivered += message
        return takes
    }

    /** The token of the accept link in the message sent to [address] last. */
    fun tokenFor(address: String): String {
        val message = synchronized(delivered) { delivered.last { it.message.to == address } }
        val link = Regex("""https://app\.acme\.example/i/([A-Za-z0-9_-]+)""").find(message.message.text)
        return assertNotNull(link, "an accept link in the text part").groupValues[1]
    }
}

/** The service flow on a real SQLite file, with a mailer written in Kotlin and a fixed clock. */
class ServiceTest {
    private val admin = "admin@acme.example"
    private val start: Instant = Instant.parse("2026-11-21T09:00:00Z")
    private lateinit var folder: Path
    private lateinit var mailer: KotlinMailer
    private lateinit var clock: FixedClock
    private lateinit var service: Invitations

    private val database get() = folder.resolve("invitekit.db").toString()

    @BeforeTest
    fun open() {
        folder = Files.createTempDirectory("invitekit-kotlin")
        mailer = KotlinMailer()
        clock = FixedClock(start)
        service = Invitations.open(database, mailer = mailer, clock = clock)
        service.createOrganization(
            id = "acme",
            name = "Acme",
            adminEmail = admin,
            expiryDays = 14u,
            acceptUrl = "https://app.acme.example/i/{token}",
        )
    }

    @AfterTest
    fun close() {
        service.close()
        clock.close()
        folder.toFile().deleteRecursively()
    }

    private fun statusOf(client: String): StatusKind =
        service.listClients("acme", admin, ListOptions(search = client)).clients.single().status.kind()

    private fun Status.kind(): StatusKind = when (this) {
        is Status.Provisioned -> StatusKind.PROVISIONED
        is Status.InvitePending -> StatusKind.INVITE_PENDING
        is Status.InviteExpired -> StatusKind.INVITE_EXPIRED
        is Status.Activated -> StatusKind.ACTIVATED
        is Status.Archived -> StatusKind.ARCHIVED
    }

    @Test
    fun inviteAcceptExpireResend() {
        // One invalid address among three: nothing is created, the entry is pointed at.
        val text = "Zoë Doe <zoe@example.com>, bad@@example.com\njane@example.com"
        val refused = assertFailsWith<InvitekitException.InvalidAddresses> {
            service.createClients("acme", text, NewClientsOptions(by = admin, send = true))
        }
        assertEquals("invalid_batch", refused.code)
        val entry = refused.entries.single()
        assertEquals("invalid_local_part", entry.code)
        assertEquals("bad@@example.com", text.substring(entry.start.toInt(), entry.end.toInt()))
        assertEquals(1UL to 28UL, entry.line to entry.column)
        assertEquals(1UL, service.listClients("acme", admin, ListOptions()).total, "only the admin")
        assertTrue(mailer.delivered.isEmpty())

        // Three valid ones, sent: the Kotlin mailer receives three messages.
        val report = service.createClients(
            "acme",
            "Zoë Doe <zoe@example.com>, sam@example.com\njane@example.com",
            NewClientsOptions(by = admin, send = true, subject = "Join Acme", button = "Open Acme"),
        )
        assertEquals(3UL to 3UL, report.created to report.invited)
        assertTrue(report.entries.all { it.outcome is EntryOutcome.Created })
        assertEquals(3, report.delivery.sent.size)
        assertEquals(listOf("zoe@example.com", "sam@example.com", "jane@example.com"), mailer.delivered.map { it.message.to })
        assertEquals("Zoë Doe", mailer.delivered[0].message.toName)
        assertTrue(mailer.delivered.all { it.message.subject == "Join Acme" && "Open Acme" in it.message.html })
        val pending = service.listClients("acme", admin, ListOptions(status = StatusKind.INVITE_PENDING))
        assertEquals(3UL, pending.total)
        val status = assertIs<Status.InvitePending>(pending.clients[0].status)
        assertEquals(start.plus(Duration.ofDays(14)), status.expiresAt)

        // Preview changes nothing; a wrong account is refused; the right one activates, once.
        val token = mailer.tokenFor("jane@example.com")
        val preview = service.preview(token)
        assertEquals(LinkState.LIVE, preview.state)
        assertEquals("Acme", preview.organization)
        assertEquals(StatusKind.INVITE_PENDING, statusOf("jane@example.com"))
        val mismatch = assertFailsWith<InvitekitException.Forbidden> { service.accept(token, "mallory@example.com") }
        assertEquals("email_mismatch", mismatch.code)
        val accepted = service.accept(token, "JANE@example.com", subject = "user-42")
        assertTrue(accepted.activatedNow)
        assertEquals(StatusKind.ACTIVATED, accepted.status)
        assertEquals("user-42", accepted.record.client.activatedBy?.subject)
        assertEquals(false, service.accept(token, "jane@example.com").activatedNow)

        // Fifteen days later the other two are expired, and their links refused.
        clock.advance(Duration.ofDays(15).seconds)
        assertEquals(StatusKind.INVITE_EXPIRED, statusOf("sam@example.com"))
        val expired = assertFailsWith<InvitekitException.Expired> {
            service.accept(mailer.tokenFor("sam@example.com"), "sam@example.com")
        }
        assertEquals("invitation_expired", expired.code)

        // Resend: pending again, with a new link that works.
        val outcomes = service.resend("acme", listOf("sam@example.com", "jane@example.com"), admin)
        assertEquals(StatusKind.INVITE_PENDING, outcomes[0].status)
        assertEquals(DeliveryState.SENT, outcomes[0].delivery)
        // A refusal is a value in its client's outcome, not thrown.
        assertNull(outcomes[1].status)
        assertEquals("already_activated", assertIs<InvitekitException.Conflict>(outcomes[1].error).code)
        assertTrue(service.accept(mailer.tokenFor("sam@example.com"), "sam@example.com").activatedNow)

        // The export has the statuses; the database keeps everything for the next process.
        val csv = service.exportClients("acme", admin)
        assertEquals("name,email,role,status", csv.lines().first().split(",").take(4).joinToString(","))
        assertTrue(csv.lines().any { "zoe@example.com" in it && "Invite Expired" in it }, csv)
        assertTrue(csv.lines().any { "sam@example.com" in it && "Activated" in it }, csv)
        Invitations.open(database, clock = clock).use { again ->
            assertEquals(4UL, again.listClients("acme", admin, ListOptions()).total)
            assertEquals(2UL, again.listClients("acme", admin, ListOptions()).activated - 1UL)
        }
    }

    @Test
    fun aFailingKotlinMailerLeavesMailToRetry() {
        val addresses = listOf("a@example.com", "b@example.com", "c@example.com", "d@example.com")
        service.createClients("acme", addresses.joinToString(" "), NewClientsOptions(by = admin))
        fun sendTo(address: String) = service.send("acme", listOf(address), admin).single()
        // A declared failure, an undeclared exception, a JVM Error (which uniffi's Kotlin code
        // does not catch and JNA swallows) and a `false` all leave the message failed, not sent.
        mailer.failure = MailerException.Failed("provider is down")
        val first = sendTo("a@example.com")
        assertEquals(DeliveryState.FAILED, first.delivery)
        assertEquals(StatusKind.INVITE_PENDING, first.status)
        mailer.failure = IllegalStateException("socket closed")
        assertEquals(DeliveryState.FAILED, sendTo("b@example.com").delivery)
        mailer.failure = NotImplementedError("no provider yet")
        assertEquals(DeliveryState.FAILED, sendTo("c@example.com").delivery)
        mailer.failure = null
        mailer.takes = false
        assertEquals(DeliveryState.FAILED, sendTo("d@example.com").delivery)
        val reasons = service.outbox("acme", admin, state = DeliveryState.FAILED).associate { it.message.to to it.lastError.orEmpty() }
        assertEquals(addresses, reasons.keys.sorted())
        assertTrue(reasons.getValue("a@example.com").endsWith(": provider is down"), reasons.toString())
        // An undeclared exception's reason is the first line of its trace, not the whole trace.
        assertTrue(reasons.getValue("b@example.com").endsWith(": java.lang.IllegalStateException: socket closed"), reasons.toString())
        assertTrue(reasons.values.none { '\n' in it }, reasons.toString())
        assertTrue("did not take the message" in reasons.getValue("c@example.com"), reasons.toString())
        assertTrue("did not take the message" in reasons.getValue("d@example.com"), reasons.toString())
        assertTrue(mailer.delivered.isEmpty())

        // Once the provider is back, a worker's round delivers each message exactly once.
        mailer.takes = true
        val round = service.deliverPending()
        assertEquals(4, round.sent.size)
        assertTrue(round.failed.isEmpty())
        assertEquals(0, service.deliverPending().sent.size)
        assertEquals(addresses, mailer.delivered.map { it.message.to }.sorted())
        assertTrue(service.outbox("acme", admin).all { it.state == DeliveryState.SENT })
    }

    @Test
    fun eightThreadsAcceptingOneLinkActivateOnce() {
        service.createClients("acme", "race@example.com", NewClientsOptions(by = admin, send = true))
        val token = mailer.tokenFor("race@example.com")
        val pool = Executors.newFixedThreadPool(8)
        val go = CountDownLatch(1)
        // Four threads have their own service on the same database file, as separate processes
        // would; four share this test's one service, as the threads of a web server do.
        val results = (1..8).map { n ->
            pool.submit<Boolean> {
                if (n % 2 == 0) {
                    go.await()
                    service.accept(token, "race@example.com").activatedNow
                } else {
                    Invitations.open(database, clock = clock).use { own ->
                        go.await()
                        own.accept(token, "race@example.com").activatedNow
                    }
                }
            }
        }
        go.countDown()
        val activated = results.map { it.get(60, TimeUnit.SECONDS) }
        pool.shutdown()
        assertEquals(1, activated.count { it })
        val events = service.events("acme", admin).filter { it.action is dev.invitekit.Action.InvitationAccepted }
        assertEquals(1, events.size)
    }

    @Test
    fun organizationSettingsChangeAndNothingElse() {
        val created = service.organization("acme")
        val changed = created.copy(name = " Acme Corp ", expiry = 30u, createdAt = start.plusSeconds(86_400))
        val updated = service.updateOrganization(changed, admin)
        assertEquals("Acme Corp", updated.name)
        assertEquals(30u, updated.expiry)
        assertEquals(created.createdAt, updated.createdAt, "the creation instant stays")
        assertEquals(updated, service.organization("acme"))
        assertEquals("invalid_message_text", assertFailsWith<InvitekitException.InvalidInput> {
            service.updateOrganization(updated.copy(name = "Acme\r\nBcc: x@example.com"), admin)
        }.code)
        assertEquals(updated, service.organization("acme"))
    }

    @Test
    fun instantsOutOfTheCoresRangeAreRefusedAndTheClockStopsAtItsEnds() {
        val refused = assertFailsWith<InternalException> { deadline(Instant.MAX, 14u) }
        assertTrue("outside the years" in refused.message.orEmpty(), refused.message)
        FixedClock(start).use { far ->
            far.advance(Long.MAX_VALUE)
            assertTrue(far.now().isAfter(Instant.parse("+262142-12-31T00:00:00Z")), far.now().toString())
            far.advance(Long.MIN_VALUE)
            assertTrue(far.now().isBefore(Instant.parse("-262143-01-02T00:00:00Z")), far.now().toString())
        }
    }

    @Test
    fun groupsSignupLinksAndTheNeverInvitedReport() {
        service.createClients("acme", "a@example.com, b@example.com, c@example.com", NewClientsOptions(by = admin))
        val group = service.createGroup("acme", "Pilots", admin)
        val assigned = service.assign("acme", listOf("a@example.com", "b@example.com"), AssignTo.Group("Pilots"), admin)
        assertTrue(assigned.all { it.error == null })
        assertEquals(2UL, service.listClients("acme", admin, ListOptions(group = group.id)).total)
        assertFailsWith<InvitekitException.NotFound> {
            service.assign("acme", listOf("a@example.com"), AssignTo.Group("Nobody"), admin)
        }

        // Never invited: three; invite all but one.
        assertEquals(3UL, service.neverInvited("acme", admin).total)
        val invited = service.inviteNeverInvited("acme", admin, except = listOf("c@example.com"))
        assertEquals(2, invited.size)
        assertEquals(listOf("c@example.com"), service.neverInvited("acme", admin).clients.map { it.client.email?.address })

        // A sign-up link restricted to one domain.
        val link = service.createSignupLink("acme", admin, role = Role.CLIENT, allowedDomains = listOf("partner.example"))
        val joined = service.join(link.token, "newcomer@partner.example")
        assertNotNull(joined.client.activatedAt)
        val refused = assertFailsWith<InvitekitException.Forbidden> { service.join(link.token, "x@other.example") }
        assertEquals("email_domain_not_allowed", refused.code)
        service.disableSignupLink("acme", link.link.id, admin)
        assertEquals("signup_link_disabled", assertFailsWith<InvitekitException.Expired> {
            service.join(link.token, "late@partner.example")
        }.code)

        // Only admins and staff act; a client may not list the table.
        val forbidden = assertFailsWith<InvitekitException.Forbidden> {
            service.listClients("acme", "newcomer@partner.example", ListOptions())
        }
        assertEquals("forbidden", forbidden.code)
        assertNotNull(forbidden.details["permission"])
    }

    @Test
    fun anInMemoryServiceKeepsItsMail() {
        Invitations.inMemory(clock = clock).use { memory ->
            memory.createOrganization(id = "acme", name = "Acme", adminEmail = admin)
            memory.createClients("acme", "kept@example.com", NewClientsOptions(by = admin, send = true))
            assertEquals(listOf("kept@example.com"), memory.sentMessages().map { it.message.to })
            assertEquals("organization_exists", assertFailsWith<InvitekitException.AlreadyExists> {
                memory.createOrganization(id = "acme", name = "Again", adminEmail = admin)
            }.code)
            assertEquals("invalid_expiry_window", assertFailsWith<InvitekitException.InvalidInput> {
                memory.createOrganization(id = "other", name = "Other", adminEmail = admin, expiryDays = 0u)
            }.code)
        }
    }
}
