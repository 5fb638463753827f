import dev.invitekit.Acceptance
import dev.invitekit.ClientRecord
import dev.invitekit.CommandKind
import dev.invitekit.EmailBinding
import dev.invitekit.Invitation
import dev.invitekit.InvitekitException
import dev.invitekit.Member
import dev.invitekit.Operation
import dev.invitekit.OrgOperation
import dev.invitekit.Organization
import dev.invitekit.Outcome
import dev.invitekit.Owner
import dev.invitekit.Role
import dev.invitekit.Status
import dev.invitekit.StatusKind
import dev.invitekit.authorize
import dev.invitekit.authorizeOrg
import dev.invitekit.clientStatus
import dev.invitekit.createClientRecord
import dev.invitekit.errorFamily
import dev.invitekit.identity
import dev.invitekit.mintToken
import dev.invitekit.newClient
import dev.invitekit.newOrganization
import dev.invitekit.permit
import dev.invitekit.requiredPermission
import dev.invitekit.transition
import java.time.Duration
import java.time.Instant
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.json.JSONObject

/**
 * Replays testdata/lifecycle.json through the pure helpers: the transition table (`transition`,
 * `permit`), the scenarios (`ClientRecord` commands at instants, `clientStatus`), and the access
 * tables (`authorize`, `requiredPermission`, `authorizeOrg`). Every disagreement is reported.
 */
class LifecycleTest {
    private val cases = Testdata.json("lifecycle.json")

    private fun status(name: Any?): StatusKind? = (name as? String)?.let { StatusKind.valueOf(it.uppercase()) }

    private fun <E : Enum<E>> name(value: E): String = value.name.lowercase()

    /** The file's form of a cell: a status name, "unchanged", "derived" or {"error": code}. */
    private fun cell(outcome: Outcome): Any = when (outcome) {
        is Outcome.To -> name(outcome.v1)
        is Outcome.Unchanged -> "unchanged"
        is Outcome.Derived -> "derived"
        is Outcome.Refused -> mapOf("error" to outcome.v1)
    }

    private fun expectedCell(value: Any): Any =
        if (value is JSONObject) mapOf("error" to value.getString("error")) else value

    @Test
    fun theTransitionTableIsTheFiles() {
        val report = Report()
        val cells = cases.getJSONArray("transitions")
        val seen = mutableSetOf<Pair<StatusKind?, CommandKind>>()
        for (i in 0 until cells.length()) {
            val row = cells.getJSONObject(i)
            val from = status(row.opt("status"))
            val command = CommandKind.valueOf(row.getString("command").uppercase())
            val where = "${row.opt("status")} x ${row.getString("command")}"
            val outcome = transition(from, command)
            report.check(where, "outcome", expectedCell(row.get("outcome")), cell(outcome))
            seen += from to command
            // permit agrees: a refusal throws its code, in its code's family.
            val thrown = runCatching { permit(from, command) }
            when (outcome) {
                is Outcome.Refused -> {
                    val error = thrown.exceptionOrNull() as? InvitekitException
                    report.check(where, "permit code", outcome.v1, error?.code)
                    report.check(where, "permit family", errorFamily(outcome.v1), error?.let(::familyOf))
                }
                else -> report.check(where, "permit", outcome, thrown.getOrNull())
            }
        }
        report.check("table", "cells", 6 * CommandKind.values().size, seen.size)
        report.check("table", "rows", cells.length(), seen.size)
        report.finish("transitions")
    }

    private fun instant(text: String): Instant = Instant.parse(text)

    /** One scenario: the organization, the record, and the links sent, by name. */
    private inner class World(scenario: JSONObject) {
        val org: Organization
        val record: ClientRecord
        val links = mutableMapOf<String, Pair<String, String>>()

        init {
            val settings = scenario.optJSONObject("organization") ?: JSONObject()
            org = newOrganization(
                id = "acme",
                name = "Acme",
                createdAt = instant("2026-01-01T00:00:00Z"),
                expiryDays = settings.optInt("expiry_days", 14).toUInt(),
                timeZone = settings.optString("time_zone", "UTC"),
                emailBinding = EmailBinding.valueOf(settings.optString("email_binding", "same_address").uppercase()),
            )
            val client = scenario.getJSONObject("client")
            record = createClientRecord(
                newClient(
                    id = "c1",
                    org = "acme",
                    createdAt = instant("2026-11-01T00:00:00Z"),
                    email = client.opt("email") as? String,
                    role = Role.valueOf(client.getString("role").uppercase()),
                ),
            ).record
        }

        fun link(name: String, step: JSONObject): Pair<String, String> {
            val (id, token) = links[name] ?: ("unknown" to mintToken().token)
            return id to if (step.optBoolean("forged")) mintToken().token else token
        }
    }

    private fun runStep(world: World, step: JSONObject, scenario: String, report: Report) {
        val now = instant(step.getString("at"))
        val by = "staff-1"
        val linkName = step.optString("link", "")
        val action = step.getString("do")
        val case = "$scenario @ ${step.getString("at")} $action"
        val record = world.record
        var result: String? = null
        val error = try {
            when (action) {
                "send", "resend", "invite" -> {
                    val minted = mintToken()
                    val invitationId = "i${world.links.size}"
                    when (action) {
                        "send" -> record.send(world.org, invitationId, minted.tokenHash, now, by)
                        "resend" -> record.resend(world.org, invitationId, minted.tokenHash, now, by)
                        else -> record.invite(world.org, invitationId, minted.tokenHash, now, by)
                    }
                    world.links[linkName] = invitationId to minted.token
                }
                "preview" -> {
                    val (id, token) = world.link(linkName, step)
                    val before = record.client() to record.invitations()
                    val preview = record.preview(world.org, id, token, now)
                    report.check(case, "record unchanged by preview", before, record.client() to record.invitations())
                    if (step.has("state")) report.check(case, "state", step.getString("state"), name(preview.state))
                    if (step.has("masked_email")) report.check(case, "masked_email", step.getString("masked_email"), preview.maskedEmail)
                    if (step.has("deadline")) report.check(case, "deadline", step.getString("deadline"), preview.deadline)
                }
                "accept" -> {
                    val (id, token) = world.link(linkName, step)
                    val acceptance = record.accept(world.org, id, token, identity(step.getString("identity")), now)
                    result = when (acceptance) {
                        is Acceptance.Activated -> "activated"
                        is Acceptance.AlreadyAccepted -> "already_accepted"
                    }
                }
                "revoke" -> record.revoke(now, by)
                "archive" -> record.archive(now, by)
                "restore" -> record.restore(now, by)
                "seen" -> record.recordSeen(now)
                "create" -> record.permit(CommandKind.CREATE, now)
                "status" -> Unit
                else -> throw AssertionError("$case: unknown step")
            }
            null
        } catch (refused: InvitekitException) {
            report.check(case, "exception family", errorFamily(refused.code), familyOf(refused))
            refused.code
        }
        report.check(case, "error", step.opt("error"), error)
        if (step.has("result")) report.check(case, "result", step.getString("result"), result)

        val zone = world.org.timeZone
        val now_status = record.status(now, zone)
        // The function gives the same answer from the record's values.
        report.check(case, "clientStatus", now_status, clientStatus(record.client(), record.invitations(), now, zone))
        val status = now_status.status
        val sentAt = when (status) {
            is Status.InvitePending -> status.sentAt
            is Status.InviteExpired -> status.sentAt
            else -> null
        }
        val expiresAt = (status as? Status.InvitePending)?.expiresAt
        val actual = mapOf(
            "status" to name(now_status.kind),
            "label" to now_status.label,
            "detail" to now_status.detail,
            "sent_at" to sentAt?.toString(),
            "expires_at" to expiresAt?.toString(),
        )
        for ((field, value) in actual) {
            if (step.has(field)) report.check(case, field, step.opt(field), value)
        }
    }

    @Test
    fun scenariosGiveTheFilesStatusesAndCodes() {
        val scenarios = cases.getJSONArray("scenarios")
        assertTrue(scenarios.length() >= 20, "at least 20 scenarios")
        val ids = (0 until scenarios.length()).map { scenarios.getJSONObject(it).getString("id") }
        assertEquals(ids.size, ids.toSet().size, "unique scenario ids")
        val report = Report()
        for (i in 0 until scenarios.length()) {
            val scenario = scenarios.getJSONObject(i)
            val world = World(scenario)
            val steps = scenario.getJSONArray("steps")
            for (n in 0 until steps.length()) runStep(world, steps.getJSONObject(n), scenario.getString("id"), report)
        }
        report.finish("scenarios")
    }

    @Test
    fun accessCasesGiveTheFilesVerdicts() {
        val report = Report()
        val t0 = instant("2026-11-21T09:00:00Z")
        val access = cases.getJSONArray("access")
        for (i in 0 until access.length()) {
            val case = access.getJSONObject(i)
            val member = Member("m", Role.valueOf(case.getString("actor").uppercase()))
            var target = newClient(
                id = if (case.optBoolean("self")) "m" else "t",
                org = "acme",
                createdAt = t0,
                role = Role.valueOf(case.getString("target").uppercase()),
            )
            if (case.optBoolean("guest_of_actor")) target = target.copy(guestOf = "m")
            if (case.optBoolean("assigned_to_actor")) target = target.copy(assignedStaff = "m")
            if (case.optBoolean("owned_by_actor")) target = target.copy(owner = Owner.Member("m"))
            val invitations = if (case.optBoolean("sent_by_actor")) {
                listOf(
                    Invitation(
                        id = "i1", org = "acme", client = target.id, tokenHash = mintToken().tokenHash,
                        sentBy = "m", sentAt = t0, expiresAt = t0.plus(Duration.ofDays(14)),
                        revokedAt = null, acceptedAt = null, retiredAt = null,
                    ),
                )
            } else {
                emptyList()
            }
            val operation = Operation.valueOf(case.getString("operation").uppercase())
            val denied = try {
                authorize(member, operation, target, invitations)
                null
            } catch (error: InvitekitException.Forbidden) {
                report.check(case.toString(), "code", "forbidden", error.code)
                report.check(case.toString(), "details", mapOf("permission" to error.details["permission"]), error.details)
                report.check(case.toString(), "family", errorFamily(error.code), familyOf(error))
                error.details["permission"]
            }
            report.check(case.toString(), "denied", case.opt("denied"), denied)
            val required = requiredPermission(member, operation, target, invitations)
            report.check(case.toString(), "requiredPermission", case.opt("denied"), required?.let { name(it) })
        }
        val orgAccess = cases.getJSONArray("organization_access")
        for (i in 0 until orgAccess.length()) {
            val case = orgAccess.getJSONObject(i)
            val member = Member("m", Role.valueOf(case.getString("actor").uppercase()))
            val denied = try {
                authorizeOrg(member, OrgOperation.valueOf(case.getString("operation").uppercase()))
                null
            } catch (error: InvitekitException.Forbidden) {
                error.details["permission"]
            }
            report.check(case.toString(), "denied", case.opt("denied"), denied)
        }
        report.finish("access")
    }
}
