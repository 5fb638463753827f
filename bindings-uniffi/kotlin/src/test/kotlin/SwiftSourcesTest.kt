import java.io.File
import kotlin.test.Test
import kotlin.test.assertTrue

/**
 * The Swift sources Maven generated in this run (beside the Kotlin ones) from the same library.
 * They cannot be compiled on this machine (no Swift toolchain): this checks that every function
 * and type the Kotlin binding has is declared in Swift too.
 */
class SwiftSourcesTest {
    private val folder = File(System.getProperty("invitekit.generated") ?: "target/generated-sources/uniffi")

    @Test
    fun swiftDeclaresWhatKotlinHas() {
        val swift = File(folder, "Invitekit.swift").readText()
        val kotlin = File(folder, "dev/invitekit/invitekit_uniffi.kt").readText()
        assertTrue(File(folder, "InvitekitFFI.h").isFile, "the C header Swift imports")
        assertTrue(File(folder, "InvitekitFFI.modulemap").isFile, "the module map")

        // Top-level functions, which uniffi writes last (after the custom types' aliases):
        // `fun `parseAddresses`(` in Kotlin, `public func parseAddresses(` in Swift.
        val functions = Regex("""fun `(\w+)`\(""")
            .findAll(kotlin.substringAfterLast("public typealias FfiConverterType"))
            .map { it.groupValues[1] }
            .toSet()
        assertTrue("parseAddresses" in functions && "errorCodes" in functions, functions.toString())
        val missing = functions.filter { "public func $it(" !in swift }
        assertTrue(missing.isEmpty(), "functions missing in Swift: $missing")

        // Types: records, enums, objects and the foreign trait.
        val types = listOf(
            "public struct Organization", "public struct Client", "public struct AddressList",
            "public struct BatchReport", "public struct OutboxMessage", "public enum Status",
            "public enum InvitekitError", "public enum MailerError", "open class Invitations",
            "open class FixedClock", "public protocol Mailer",
        )
        val flat = swift.replace(Regex("""public\s+"""), "public ")
        val absent = types.filter { it !in flat }
        assertTrue(absent.isEmpty(), "types missing in Swift: $absent")
    }
}
