import dev.invitekit.DeliveryState
import dev.invitekit.FixedClock
import dev.invitekit.Invitations
import dev.invitekit.InvitekitException
import dev.invitekit.ListOptions
import dev.invitekit.MailerException
import dev.invitekit.NewClientsOptions
import dev.invitekit.StatusKind
import java.time.Duration
import java.time.Instant
import java.util.UUID
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue

/**
 * The same service on PostgreSQL, when `INVITEKIT_PG_URL` names a server (scripts/test starts
 * one on loopback). Under CI a missing server fails the test instead of skipping it.
 */
class PostgresTest {
    private val admin = "admin@acme.example"

    private fun url(): String {
        val url = System.getenv("INVITEKIT_PG_URL")
        if (url.isNullOrEmpty() && System.getenv("CI") != null) {
            throw AssertionError("CI is set but INVITEKIT_PG_URL is not: start scripts/postgres.sh")
        }
        assumeTrue(!url.isNullOrEmpty(), "INVITEKIT_PG_URL is not set: no PostgreSQL server to test")
        return url!!
    }

    @Test
    fun inviteFailAcceptAndExpireOnPostgresql() {
        val url = url()
        val schema = "kotlin_" + UUID.randomUUID().toString().replace("-", "").take(12)
        val mailer = KotlinMailer()
        FixedClock(Instant.parse("2026-11-21T09:00:00Z")).use { clock ->
            Invitations.open(url, mailer = mailer, clock = clock, schema = schema).use { service ->
                service.createOrganization(
                    id = "acme", name = "Acme", adminEmail = admin,
                    acceptUrl = "https://app.acme.example/i/{token}",
                )
                assertFailsWith<InvitekitException.InvalidAddresses> {
                    service.createClients("acme", "a@example.com, nope", NewClientsOptions(by = admin))
                }
                assertEquals(1UL, service.listClients("acme", admin, ListOptions()).total)

                mailer.failure = MailerException.Failed("provider is down")
                val report = service.createClients("acme", "a@example.com, b@example.com", NewClientsOptions(by = admin, send = true))
                assertEquals(2, report.delivery.failed.size)
                mailer.failure = null
                assertEquals(2, service.deliverPending().sent.size)
                assertTrue(service.outbox("acme", admin).all { it.state == DeliveryState.SENT })

                assertTrue(service.accept(mailer.tokenFor("a@example.com"), "a@example.com").activatedNow)
                clock.advance(Duration.ofDays(15).seconds)
                val expired = service.listClients("acme", admin, ListOptions(status = StatusKind.INVITE_EXPIRED))
                assertEquals(listOf("b@example.com"), expired.clients.map { it.client.email?.address })
            }
        }
    }
}
