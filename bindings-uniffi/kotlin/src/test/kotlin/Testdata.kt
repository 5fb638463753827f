import java.io.File
import org.json.JSONObject

/** The shared test vectors of `testdata/` (the folder Maven passes as `invitekit.testdata`). */
object Testdata {
    private val folder = File(System.getProperty("invitekit.testdata") ?: "../../testdata")

    fun json(name: String): JSONObject = JSONObject(File(folder, name).readText(Charsets.UTF_8))
}

/** Collects every disagreement of a replay, then fails once with all of them. */
class Report {
    private val failures = mutableListOf<String>()

    fun check(case: String, field: String, expected: Any?, actual: Any?) {
        if (expected != actual) {
            failures += "$case: $field\n    expected: $expected\n    actual:   $actual"
        }
    }

    fun finish(what: String) {
        if (failures.isNotEmpty()) {
            throw AssertionError("${failures.size} failure(s) in $what:\n" + failures.joinToString("\n"))
        }
    }
}

/** `null` for JSON null or a missing key, else the value. */
fun JSONObject.opt(key: String): Any? = if (isNull(key)) null else get(key)
