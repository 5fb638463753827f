import dev.invitekit.InternalException
import dev.invitekit.InvitekitException
import dev.invitekit.panicForTest
import dev.invitekit.parseAddresses
import dev.invitekit.errorCodes
import dev.invitekit.errorFamily
import dev.invitekit.errorMeaning
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
        val families = setOf(
            "invalid_addresses", "invalid_input", "forbidden", "not_found", "already_exists",
            "expired", "conflict", "storage", "delivery",
        )
        for (code in codes) {
            val name = code.getString("code")
            report.check(name, "meaning", code.getString("meaning"), errorMeaning(name))
            report.check(name, "family known", true, errorFamily(name) in families)
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
    fun exceptionSubclassesAreTheFamilies() {
        assertEquals("not_found", familyOf(InvitekitException.NotFound("client_not_found", "", emptyMap(), emptyList())))
        assertEquals("invalid_addresses", errorFamily("duplicate"))
        assertEquals("expired", errorFamily("invitation_expired"))
        assertEquals("conflict", errorFamily("already_activated"))
    }
}

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
