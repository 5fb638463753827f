import dev.invitekit.FixedClock
import dev.invitekit.Invitations
import dev.invitekit.InvitekitException
import dev.invitekit.Mailer
import dev.invitekit.NewClientsOptions
import dev.invitekit.OutboxMessage
import dev.invitekit.parseAddresses
import java.io.File
import java.nio.file.Files
import java.time.Instant
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/** The README's example, run; and the README shows exactly this code. */
class ReadmeExampleTest {
    private val lines = mutableListOf<String>()

    private fun println(line: Any?) {
        lines += line.toString()
    }

    @Test
    fun theReadmeExampleRuns() {
        val folder = Files.createTempDirectory("invitekit-readme").toFile()
        val path = File(folder, "invitekit.db").path
        val clock = FixedClock(Instant.parse("2026-11-21T09:00:00Z"))
        // README:begin
        val text = "Jane Doe <Jane@Example.COM>; bob@example, jane@example.com"
        for (e in parseAddresses(text).entries) {
            println("${e.line}:${e.column} ${text.substring(e.start.toInt(), e.end.toInt())} ${e.error ?: e.normalized}")
        }

        class PrintingMailer : Mailer {
            val sent = mutableListOf<OutboxMessage>()
            override fun send(message: OutboxMessage): Boolean {
                sent += message // hand it to your provider; throw or return false to retry later
                return true
            }
        }
        val mailer = PrintingMailer()
        Invitations.open(path, mailer = mailer, clock = clock).use { service ->
            service.createOrganization(id = "acme", name = "Acme", adminEmail = "admin@acme.example")
            try {
                service.createClients("acme", text, NewClientsOptions(by = "admin@acme.example", send = true))
            } catch (e: InvitekitException.InvalidAddresses) {
                println("${e.code}: ${e.entries.map { "${it.text} ${it.code}" }}")
            }
            val report = service.createClients(
                "acme", "Jane Doe <jane@example.com>, bob@example.org",
                NewClientsOptions(by = "admin@acme.example", send = true),
            )
            println("created ${report.created}, mailed ${mailer.sent.map { it.message.to }}")
        }
        // README:end
        clock.close()
        folder.deleteRecursively()
        assertEquals(
            listOf(
                "1:1 Jane Doe <Jane@Example.COM> Jane@example.com",
                "1:30 bob@example dotless_domain",
                "1:43 jane@example.com duplicate",
                "invalid_batch: [bob@example dotless_domain]",
                "created 2, mailed [jane@example.com, bob@example.org]",
            ),
            lines,
        )

        val source = File("src/test/kotlin/ReadmeExampleTest.kt").readText()
        val example = source.substringAfter("// README:begin\n").substringBefore("        // README:end")
            .lines().joinToString("\n") { it.removePrefix("        ") }.trimEnd()
        val readme = File("../README.md").readText()
        assertTrue(example in readme, "bindings-uniffi/README.md shows the example as it is here:\n$example")
    }
}
