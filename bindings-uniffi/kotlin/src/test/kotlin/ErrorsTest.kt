import dev.invitekit.InternalException
import dev.invitekit.Invitations
import dev.invitekit.InvitekitException
import dev.invitekit.ListOptions
import dev.invitekit.deadline
import dev.invitekit.parseOne
import dev.invitekit.panicForTest
import dev.invitekit.parseAddresses
import dev.invitekit.errorCodes
import dev.invitekit.errorFamily
import dev.invitekit.errorMeaning
import java.time.Instant
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlin.test.assertNull

/** Every published code maps: its meaning, its family, and the exception subclass of that family. */
class ErrorsTest {
    @Test
    fun everyPublishedCodeIsKnownWithItsMeaningAndFamily() {
        val published = Testdata.json("error_codes.json").getJSONArray("codes")
        val report = Report()
        val codes = (0 until published.length()).map { published.getJSONObject(it) }
        report.check("codes", "list", codes.map { it.getString("code") }, errorCodes())
        for (code in codes) {
            val name = code.getString("code")
            report.check(name, "meaning", code.getString("meaning"), errorMeaning(name))
            report.check(name, "family", EXPECTED[name] ?: "invalid_addresses", errorFamily(name))
        }
        report.finish("error_codes.json")
        assertNull(errorMeaning("no_such_code"))
        assertNull(errorFamily("no_such_code"))
    }

    @Test
    fun aRustPanicIsAnExceptionAndTheJvmGoesOn() {
        val error = assertFailsWith<InternalException> { panicForTest("a bug in the core") }
        assertTrue("a bug in the core" in error.message.orEmpty(), error.message)
        assertEquals(true, parseAddresses("a@example.com").acceptable)
    }

    @Test
    fun realFailuresThrowTheSubclassOfTheirCodesFamily() {
        val thrown = mutableListOf<InvitekitException>()
        fun expectFailure(call: () -> Unit) {
            thrown += assertFailsWith<InvitekitException> { call() }
        }
        expectFailure { parseOne("bob@") }
        expectFailure { deadline(Instant.parse("2026-11-21T09:00:00Z"), 0u) }
        Invitations.inMemory().use { service ->
            service.createOrganization(id = "acme", name = "Acme", adminEmail = "admin@acme.example")
            expectFailure { service.organization("nobody") }
            expectFailure { service.createOrganization(id = "acme", name = "Again", adminEmail = "admin@acme.example") }
            expectFailure { service.preview("A".repeat(43)) }
            expectFailure { service.listClients("acme", "nobody@acme.example", ListOptions()) }
        }
        assertEquals(
            listOf("missing_domain", "invalid_expiry_window", "organization_not_found", "organization_exists", "invitation_not_found", "client_not_found"),
            thrown.map { it.code },
        )
        for (error in thrown) {
            assertEquals(errorFamily(error.code), familyOf(error), error.code)
        }
    }
}

/** The families as documented (README, errors.rs) of every code that is not an address's own
 * verdict; those are all `invalid_addresses`. A code moving family is a breaking change. */
private val EXPECTED: Map<String, String> = mapOf(
    "invalid_addresses" to listOf("invalid_batch", "empty_batch", "missing_email"),
    "invalid_input" to listOf(
        "input_too_large", "invalid_utf8", "invalid_role", "invalid_status", "invalid_expiry_window",
        "invalid_time_zone", "invalid_token", "no_email_column", "invalid_message_text", "invalid_url",
    ),
    "forbidden" to listOf("forbidden", "email_mismatch", "email_domain_not_allowed"),
    "not_found" to listOf(
        "client_not_found", "invitation_not_found", "organization_not_found", "group_not_found",
        "program_not_found", "signup_link_not_found", "message_not_found",
    ),
    "already_exists" to listOf("client_exists", "invitation_exists", "organization_exists", "group_exists"),
    "expired" to listOf("invitation_expired", "invitation_revoked", "signup_link_disabled", "signup_link_exhausted"),
    "conflict" to listOf(
        "already_invited", "not_invited", "already_activated", "client_archived", "already_archived",
        "not_archived", "no_email", "conflict",
    ),
    "storage" to listOf("storage_failed", "read_failed", "write_failed", "entropy_unavailable"),
    "delivery" to listOf("delivery_failed"),
).flatMap { (family, codes) -> codes.map { it to family } }.toMap()

/** The family an exception's subclass stands for, as `errorFamily` names it. */
fun familyOf(error: InvitekitException): String = when (error) {
    is InvitekitException.InvalidAddresses -> "invalid_addresses"
    is InvitekitException.InvalidInput -> "invalid_input"
    is InvitekitException.Forbidden -> "forbidden"
    is InvitekitException.NotFound -> "not_found"
    is InvitekitException.AlreadyExists -> "already_exists"
    is InvitekitException.Expired -> "expired"
    is InvitekitException.Conflict -> "conflict"
    is InvitekitException.Storage -> "storage"
    is InvitekitException.Delivery -> "delivery"
}

/** The stable code of any invitekit exception. */
val InvitekitException.code: String
    get() = when (this) {
        is InvitekitException.InvalidAddresses -> code
        is InvitekitException.InvalidInput -> code
        is InvitekitException.Forbidden -> code
        is InvitekitException.NotFound -> code
        is InvitekitException.AlreadyExists -> code
        is InvitekitException.Expired -> code
        is InvitekitException.Conflict -> code
        is InvitekitException.Storage -> code
        is InvitekitException.Delivery -> code
    }
