import dev.invitekit.AddressEntry
import dev.invitekit.InvitekitException
import dev.invitekit.ParseOptions
import dev.invitekit.parseAddresses
import dev.invitekit.parseOne
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import org.json.JSONObject

/** Replays testdata/addresses.json through `parseAddresses`, every field of every entry. */
class AddressesTest {
    private fun options(json: JSONObject?): ParseOptions {
        var options = ParseOptions()
        if (json == null) return options
        for (name in json.keySet()) {
            options = when (name) {
                "max_addresses" -> options.copy(maxAddresses = json.getLong(name).toUInt())
                "max_input_bytes" -> options.copy(maxInputBytes = json.getLong(name).toUInt())
                "case_sensitive_local_part" -> options.copy(caseSensitiveLocalPart = json.getBoolean(name))
                "allow_quoted_local_part" -> options.copy(allowQuotedLocalPart = json.getBoolean(name))
                "allow_ip_literal" -> options.copy(allowIpLiteral = json.getBoolean(name))
                "allow_dotless_domain" -> options.copy(allowDotlessDomain = json.getBoolean(name))
                "allow_comments" -> options.copy(allowComments = json.getBoolean(name))
                "allow_special_use_domains" -> options.copy(allowSpecialUseDomains = json.getBoolean(name))
                "allow_invisible_characters" -> options.copy(allowInvisibleCharacters = json.getBoolean(name))
                "allow_bidi_controls" -> options.copy(allowBidiControls = json.getBoolean(name))
                "allow_symbols" -> options.copy(allowSymbols = json.getBoolean(name))
                else -> throw AssertionError("unknown option $name")
            }
        }
        return options
    }

    /** The UTF-16 offset (a Kotlin string index) of UTF-8 byte offset [byte] into [text]. */
    private fun utf16(text: String, byte: Int): Int =
        String(text.toByteArray(Charsets.UTF_8), 0, byte, Charsets.UTF_8).length

    private fun field(entry: AddressEntry, name: String): Any? = when (name) {
        "raw" -> entry.raw
        "error" -> entry.error
        "line" -> entry.line.toLong()
        "column" -> entry.column.toLong()
        "address" -> entry.address
        "normalized" -> entry.normalized
        "key" -> entry.key
        "name" -> entry.name
        "smtputf8" -> entry.smtputf8
        "duplicate_of" -> entry.duplicateOf?.toLong()
        else -> throw AssertionError("unknown entry field $name")
    }

    @Test
    fun everyCaseGivesTheFilesEntries() {
        val cases = Testdata.json("addresses.json").getJSONArray("cases")
        assertTrue(cases.length() >= 300, "at least 300 cases, found ${cases.length()}")
        val ids = mutableSetOf<String>()
        val report = Report()
        for (i in 0 until cases.length()) {
            val case = cases.getJSONObject(i)
            val id = case.getString("id")
            report.check(id, "unique id", true, ids.add(id))
            val input = case.getString("input")
            val options = options(case.optJSONObject("options"))
            if (case.has("error")) {
                val error = runCatching { parseAddresses(input, options) }.exceptionOrNull()
                report.check(id, "error", case.getString("error"), (error as? InvitekitException.InvalidInput)?.code)
                continue
            }
            val list = parseAddresses(input, options)
            report.check(id, "acceptable", case.getBoolean("acceptable"), list.acceptable)
            val expected = case.getJSONArray("entries")
            report.check(id, "entries", expected.length(), list.entries.size)
            for (n in 0 until minOf(expected.length(), list.entries.size)) {
                val want = expected.getJSONObject(n)
                val got = list.entries[n]
                val where = "$id entry $n"
                report.check(where, "index", n.toLong(), got.index.toLong())
                // Offsets are Kotlin string indices: the entry's text is the input's slice.
                report.check(where, "slice", got.raw, input.substring(got.start.toInt(), got.end.toInt()))
                for (name in want.keySet()) {
                    when (name) {
                        "start", "end" -> {
                            val actual = if (name == "start") got.start else got.end
                            report.check(where, name, utf16(input, want.getInt(name)), actual.toInt())
                        }
                        else -> {
                            val expectedValue = want.opt(name).let { if (it is Int) it.toLong() else it }
                            report.check(where, name, expectedValue, field(got, name))
                        }
                    }
                }
            }
            // The counts agree with the entries.
            val errors = list.entries.map { it.error }
            report.check(id, "valid", errors.count { it == null }.toLong(), list.valid.toLong())
            report.check(id, "duplicates", errors.count { it == "duplicate" }.toLong(), list.duplicates.toLong())
            report.check(id, "overLimit", errors.count { it == "over_limit" }.toLong(), list.overLimit.toLong())
        }
        report.finish("addresses.json")
    }

    @Test
    fun offsetsAreStringIndicesAfterNonAsciiText() {
        val text = "Zoë Smith <zoe@example.com>; 😀 bad@@example.com"
        val list = parseAddresses(text)
        assertEquals(listOf(null, "symbol_character", "invalid_local_part"), list.entries.map { it.error })
        val bad = list.entries[2]
        assertEquals("bad@@example.com", text.substring(bad.start.toInt(), bad.end.toInt()))
        // After "ë" (one UTF-16 unit, two bytes) and "😀" (two units, four bytes).
        assertEquals(text.indexOf("bad@@"), bad.start.toInt())
        assertEquals(2UL, list.invalid)
        assertEquals(false, list.acceptable)
    }

    @Test
    fun anOversizedInputIsRefusedWithItsCode() {
        val error = assertFailsWith<InvitekitException.InvalidInput> {
            parseAddresses("a@example.com ".repeat(10), ParseOptions(maxInputBytes = 16u))
        }
        assertEquals("input_too_large", error.code)
        assertEquals("16", error.details["limit"])
    }

    @Test
    fun parseOneKeysAnAddressAsTheListDoes() {
        val email = parseOne("  Jane.Doe@Example.COM ")
        val entry = parseAddresses("Jane.Doe@Example.COM").entries[0]
        // The sendable address: the local part as typed, the domain normalized.
        assertEquals("Jane.Doe@example.com", email.address)
        assertEquals(entry.key, email.key)
        assertEquals("jane.doe@example.com", email.key)
        val error = assertFailsWith<InvitekitException.InvalidAddresses> { parseOne("jane@") }
        assertEquals("missing_domain", error.code)
    }
}
