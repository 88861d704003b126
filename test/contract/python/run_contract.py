"""Drives one scenario of the package-rollouts workflows from the Temporal Python SDK, the way a
Python team would: from schemas/contract.json and schemas/*.json only, validating every payload.

  python run_contract.py --address 127.0.0.1:7233 --namespace default --task-queue q \
      --schemas ../../../schemas --scenario dictionary-gated --params '{"packageName": ...}'

Prints one JSON line per check ({"event": "check", "name", "ok", "detail"}), a line per checkpoint
(then waits for "go" on stdin while the test acts on the emulator), and {"event": "done"} last.
Exit 0 whatever the checks say (the test asserts on them); 1 when the scenario itself broke.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Awaitable, Callable

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, CancelledError, WorkflowAlreadyStartedError

from contract import Caller, Contract, Report, failure_summary, soon

DICTIONARY = "dictionaryRollout"
REMOVAL = "packageRemoval"
ATTACHMENT = "dataSourceAttachment"
IOT = "iotPackageRelease"
PLUGIN = "pluginRollout"


class Scenario:
    def __init__(self, caller: Caller, report: Report, params: dict) -> None:
        self.caller = caller
        self.contract = caller.contract
        self.report = report
        self.params = params
        self.name = report.scenario

    def check(self, what: str, ok: bool, detail: Any = None) -> bool:
        return self.report.check(f"{self.name}: {what}", ok, detail)

    async def refused_update(self, handle: Any, workflow_type: str, name: str, arg: Any, what: str) -> None:
        """An update its validator refuses: the argument schema already says no, the workflow
        answers with the contract's refusal failure type, and the run goes on untouched."""
        message = self.contract.message(workflow_type, "update", name)
        problems = self.contract.problems(message["argument"], arg)
        self.check(f"the {name} argument schema rejects {what}", bool(problems), problems[:3])
        refused_with = message["refusedWith"]
        try:
            answer = await soon(handle.execute_update(name, arg))
        except WorkflowUpdateFailedError as err:
            self.check(
                f"update '{name}' with {what} is refused with failure type {refused_with}",
                isinstance(err.cause, ApplicationError) and err.cause.type == refused_with,
                failure_summary(err.cause),
            )
            return
        self.check(f"update '{name}' with {what} is refused", False, {"answer": answer})

    async def second_start(self, workflow_type: str, workflow_input: dict, first: Any) -> None:
        """A second start of a running id does what the contract's conflict policy says."""
        policy = self.contract.workflow(workflow_type)["workflowIdConflictPolicy"]
        try:
            second = await self.caller.start(workflow_type, workflow_input)
        except WorkflowAlreadyStartedError as err:
            self.check(f"a second start is refused (conflict policy {policy})", policy == "FAIL", str(err))
            return
        joined = (await second.describe()).run_id == (await first.describe()).run_id
        self.check(
            f"a second start joins the running run (conflict policy {policy})",
            policy == "USE_EXISTING" and joined,
            {"joined": joined},
        )

    async def ends_invalid_input(self, workflow_type: str, bad_input: dict, rule: str) -> None:
        """Input the schema rejects also ends the run InvalidInput, with issues naming fields."""
        workflow = self.contract.workflow(workflow_type)
        problems = self.contract.problems(workflow["input"], bad_input)
        self.check(f"the input schema rejects {rule}", bool(problems), problems[:5])
        handle = await self.caller.start_unchecked(workflow_type, bad_input)
        kind, failure = await self.caller.outcome(handle, workflow_type)
        summary = failure_summary(failure) if kind == "failure" else {"result": failure}
        self.check(
            f"the run with {rule} ends InvalidInput",
            kind == "failure" and isinstance(failure, ApplicationError) and failure.type == "InvalidInput",
            summary,
        )
        issues = (failure.details[0] or {}).get("issues") if kind == "failure" and failure.details else None
        self.check(
            "InvalidInput details list issues as {field, rule}",
            isinstance(issues, list)
            and len(issues) > 0
            and all(isinstance(i.get("field"), str) and isinstance(i.get("rule"), str) for i in issues),
            issues,
        )

    async def search_attributes(self, handle: Any, workflow_type: str, workflow_input: dict) -> None:
        """The run carries the search attributes the contract names, with the values it gives,
        whether the caller set them at start or not (the workflow sets them itself)."""
        expected = self.contract.search_attributes_at_start(workflow_type, workflow_input, fixed_only=True)
        actual = (await handle.describe()).typed_search_attributes
        wrong = {
            pair.key.name: {"expected": pair.value, "actual": actual.get(pair.key)}
            for pair in expected
            if actual.get(pair.key) != pair.value
        }
        self.check(
            f"the run carries {', '.join(p.key.name for p in expected)} as the contract says",
            len(expected) > 0 and not wrong,
            wrong,
        )

    async def cancelled(self, handle: Any, workflow_type: str) -> tuple[str, Any]:
        await handle.cancel()
        return await self.caller.outcome(handle, workflow_type)


# ---- dictionaryRollout ----------------------------------------------------------------------


def dictionary_input(p: dict, **policy: Any) -> dict:
    return {
        "packageName": p["packageName"],
        "source": {"kind": "inline", "text": p.get("text", "car, automobile\n")},
        "staging": {"bucket": p["stagingBucket"]},
        "domains": p["domains"],
        "policy": {"pollIntervalSeconds": 0.2, **policy},
    }


GATED = {"approvalBetweenWaves": True, "waves": {"strategy": "sizes", "canary": 1, "sizes": [1]}}


async def dictionary_gated(s: Scenario) -> None:
    """Three waves of one domain, approval between them: every query, update and signal."""
    workflow_input = dictionary_input(s.params, **GATED)
    handle = await s.caller.start(DICTIONARY, workflow_input)
    s.check(
        "started with the id from the contract's template",
        handle.id.endswith(s.params["packageName"]),
        handle.id,
    )
    waiting = await s.caller.wait_progress(
        handle, DICTIONARY, lambda p: p["awaitingApproval"], "awaitingApproval"
    )
    s.check(
        "progress: wave 1 done, waiting for approval", waiting["phase"] == "waiting-for-approval", waiting
    )
    await s.second_start(DICTIONARY, workflow_input, handle)

    plan = await s.caller.query(handle, DICTIONARY, "plan")
    s.check("plan query answers the waves", len(plan["waves"]) == 3, plan)

    await soon(s.caller.update(handle, DICTIONARY, "pause"))
    s.check(
        "update pause: progress says paused", (await s.caller.progress(handle, DICTIONARY))["paused"] is True
    )
    await soon(s.caller.update(handle, DICTIONARY, "resume"))
    resumed = await s.caller.progress(handle, DICTIONARY)
    s.check("update resume: progress says not paused", resumed["paused"] is False)
    await s.caller.signal(handle, DICTIONARY, "pause")
    await s.caller.wait_progress(handle, DICTIONARY, lambda p: p["paused"], "paused after the pause signal")
    await s.caller.signal(handle, DICTIONARY, "resume")
    await s.caller.wait_progress(
        handle, DICTIONARY, lambda p: not p["paused"], "resumed after the resume signal"
    )
    s.check("signals pause and resume: progress follows", True)

    await s.refused_update(handle, DICTIONARY, "approve", {"wave": 0}, "wave 0")
    still = await s.caller.progress(handle, DICTIONARY)
    s.check("a refused update leaves the run waiting", still["awaitingApproval"] is True, still)

    # The contract: approve answers the highest approved wave, numbered from 1, while progress
    # counts currentWave from 0, so the wave waiting for approval is currentWave + 1.
    approved = await soon(s.caller.update(handle, DICTIONARY, "approve", {}))
    s.check(
        "update approve answers the approved wave (numbered from 1)",
        approved == still["currentWave"] + 1,
        {"answer": approved, "currentWave": still["currentWave"]},
    )
    await s.caller.wait_progress(
        handle,
        DICTIONARY,
        lambda p: p["awaitingApproval"] and p["currentWave"] > still["currentWave"],
        "wave 3 gate",
    )
    await s.caller.signal(handle, DICTIONARY, "approve", {"wave": 3})

    kind, result = await s.caller.outcome(handle, DICTIONARY)
    s.check("ends with a result", kind == "result", result if kind == "result" else failure_summary(result))
    if kind == "result":
        s.check("outcome succeeded", result["outcome"] == "succeeded", result["outcome"])
        s.check(
            "every domain current", {d["state"] for d in result["domains"]} == {"current"}, result["domains"]
        )
        done = await s.caller.progress(handle, DICTIONARY)
        s.check("progress still answers after the end", done["phase"] == "done")
    await s.search_attributes(handle, DICTIONARY, workflow_input)


async def dictionary_cancelled(s: Scenario) -> None:
    handle = await s.caller.start(DICTIONARY, dictionary_input(s.params, **GATED))
    await s.caller.wait_progress(handle, DICTIONARY, lambda p: p["awaitingApproval"], "awaitingApproval")
    kind, failure = await s.cancelled(handle, DICTIONARY)
    s.check(
        "a cancelled rollout ends with failure type RolloutCancelled",
        kind == "failure" and getattr(failure, "type", None) == "RolloutCancelled",
        failure_summary(failure) if kind == "failure" else failure,
    )
    result = s.caller.result_in_failure(DICTIONARY, failure) if kind == "failure" else None
    s.check(
        "its details hold the result, outcome cancelled",
        bool(result) and result.get("outcome") == "cancelled",
        result,
    )


async def dictionary_failed_domain(s: Scenario) -> None:
    """One domain AWS does not know: AssociatePackage is refused, the run ends RolloutFailed."""
    handle = await s.caller.start(DICTIONARY, dictionary_input(s.params, failurePolicy="continue"))
    kind, failure = await s.caller.outcome(handle, DICTIONARY)
    s.check(
        "ends with failure type RolloutFailed",
        kind == "failure" and getattr(failure, "type", None) == "RolloutFailed",
        failure_summary(failure) if kind == "failure" else failure,
    )
    result = s.caller.result_in_failure(DICTIONARY, failure) if kind == "failure" else None
    failed = [d for d in (result or {}).get("domains", []) if d["state"] == "failed"]
    s.check(
        "the result names the failed domain",
        [d["domain"] for d in failed] == [s.params["missingDomain"]],
        failed,
    )
    s.check(
        "the failed domain's error carries AWS's error",
        bool(failed) and "aws" in failed[0].get("error", {}),
        failed,
    )


async def dictionary_listed(s: Scenario) -> None:
    """Started from Python with no search attributes: the test then finds it with the list filters."""
    workflow_input = dictionary_input(s.params)
    handle = await s.caller.start(DICTIONARY, workflow_input, search_attributes=False)
    kind, failure = await s.caller.outcome(handle, DICTIONARY)
    s.check(
        "a rollout to a domain AWS does not know ends RolloutFailed",
        kind == "failure" and getattr(failure, "type", None) == "RolloutFailed",
        failure_summary(failure) if kind == "failure" else failure,
    )
    await s.search_attributes(handle, DICTIONARY, workflow_input)
    description = await handle.describe()
    await s.report.checkpoint("ended", {"workflowId": handle.id, "runId": description.run_id})


async def dictionary_invalid(s: Scenario) -> None:
    bad = dictionary_input(s.params)
    bad["packageName"] = "Not_A_Package"
    await s.ends_invalid_input(DICTIONARY, bad, "a packageName AWS refuses")


# ---- packageRemoval -------------------------------------------------------------------------


def removal_input(p: dict) -> dict:
    return {"packageName": p["packageName"], "pollIntervalSeconds": 0.2}


async def published(s: Scenario) -> None:
    """The package to remove, published the way users do: a dictionary rollout, from Python too."""
    handle = await s.caller.start(DICTIONARY, dictionary_input(s.params))
    kind, result = await s.caller.outcome(handle, DICTIONARY)
    if kind != "result" or result["outcome"] != "succeeded":
        raise AssertionError(f"publishing {s.params['packageName']} failed: {result}")
    await s.report.checkpoint("published", {"packageId": result["packageId"]})


async def removal(s: Scenario) -> None:
    await published(s)
    handle = await s.caller.start(REMOVAL, removal_input(s.params))
    await s.caller.progress(handle, REMOVAL)
    kind, result = await s.caller.outcome(handle, REMOVAL)
    s.check("ends with a result", kind == "result", result if kind == "result" else failure_summary(result))
    if kind == "result":
        s.check(
            "outcome removed, package deleted",
            (result["outcome"], result["packageDeletion"]) == ("removed", "deleted"),
            result,
        )
        s.check(
            "progress still answers after the end",
            (await s.caller.progress(handle, REMOVAL))["phase"] == "done",
        )


async def removal_failed_domain(s: Scenario) -> None:
    """An index on one domain uses the package: that domain fails (PackageInUse), the rest go."""
    await published(s)
    handle = await s.caller.start(REMOVAL, removal_input(s.params))
    kind, failure = await s.caller.outcome(handle, REMOVAL)
    s.check(
        "ends with failure type RolloutFailed",
        kind == "failure" and getattr(failure, "type", None) == "RolloutFailed",
        failure_summary(failure) if kind == "failure" else failure,
    )
    result = s.caller.result_in_failure(REMOVAL, failure) if kind == "failure" else None
    failed = [d for d in (result or {}).get("domains", []) if d["state"] == "failed"]
    s.check(
        "the result names the failed domain",
        [d["domain"] for d in failed] == [s.params["inUseDomain"]],
        failed,
    )
    s.check(
        "the failed domain's error carries AWS's error",
        bool(failed) and "aws" in failed[0].get("error", {}),
        failed,
    )


async def removal_cancelled(s: Scenario) -> None:
    await published(s)
    handle = await s.caller.start(REMOVAL, removal_input(s.params))
    await s.caller.wait_progress(handle, REMOVAL, lambda p: p["phase"] == "dissociating", "dissociating")
    await s.second_start(REMOVAL, removal_input(s.params), handle)
    await s.search_attributes(handle, REMOVAL, removal_input(s.params))
    kind, failure = await s.cancelled(handle, REMOVAL)
    s.check(
        "a cancelled removal ends cancelled",
        kind == "failure" and isinstance(failure, CancelledError),
        failure_summary(failure),
    )


async def removal_invalid(s: Scenario) -> None:
    await s.ends_invalid_input(REMOVAL, {}, "neither packageName nor packageId")
    await s.ends_invalid_input(REMOVAL, {"packageName": "X"}, "a packageName AWS refuses")


# ---- iotPackageRelease ----------------------------------------------------------------------


def iot_input(p: dict, version: str, **extra: Any) -> dict:
    return {
        "packageName": p["packageName"],
        "versionName": version,
        "description": f"agent {version}",
        "attributes": {"channel": "stable", "arch": "arm64"},
        **extra,
    }


async def iot_gated(s: Scenario) -> None:
    workflow_input = iot_input(s.params, "1.0.0", publish="after-approval")
    handle = await s.caller.start(IOT, workflow_input, search_attributes=False)
    waiting = await s.caller.wait_progress(handle, IOT, lambda p: p["awaitingApproval"], "awaitingApproval")
    await s.second_start(IOT, workflow_input, handle)
    await s.search_attributes(handle, IOT, workflow_input)
    s.check("progress: DRAFT, waiting for approval", waiting.get("versionStatus") == "DRAFT", waiting)
    await s.refused_update(handle, IOT, "approve", {"approvedBy": 7}, "approvedBy not a string")
    approval = await soon(s.caller.update(handle, IOT, "approve", {"approvedBy": "ops@example.com"}))
    s.check(
        "update approve answers the approval",
        isinstance(approval, dict) and approval.get("approvedBy") == "ops@example.com",
        approval,
    )
    kind, result = await s.caller.outcome(handle, IOT)
    s.check("ends with a result", kind == "result", result if kind == "result" else failure_summary(result))
    if kind == "result":
        s.check(
            "published, approval recorded",
            result["versionStatus"] == "PUBLISHED" and "approval" in result,
            result,
        )

    # The same version name with other content: a conflict, with what differs in the details.
    conflict = await s.caller.start(IOT, iot_input(s.params, "1.0.0", description="other content"))
    kind, failure = await s.caller.outcome(conflict, IOT)
    s.check(
        "a conflicting release ends with failure type IotVersionConflict and details",
        kind == "failure"
        and getattr(failure, "type", None) == "IotVersionConflict"
        and bool(failure.details),
        failure_summary(failure) if kind == "failure" else failure,
    )


async def iot_signal(s: Scenario) -> None:
    handle = await s.caller.start(IOT, iot_input(s.params, "2.0.0", publish="after-approval"))
    await s.caller.wait_progress(handle, IOT, lambda p: p["awaitingApproval"], "awaitingApproval")
    await s.caller.signal(handle, IOT, "approve", {"approvedBy": "ops@example.com"})
    kind, result = await s.caller.outcome(handle, IOT)
    s.check(
        "approved by signal: published",
        kind == "result" and result["versionStatus"] == "PUBLISHED",
        result if kind == "result" else failure_summary(result),
    )


async def iot_cancelled(s: Scenario) -> None:
    handle = await s.caller.start(IOT, iot_input(s.params, "3.0.0", publish="after-approval"))
    await s.caller.wait_progress(handle, IOT, lambda p: p["awaitingApproval"], "awaitingApproval")
    kind, failure = await s.cancelled(handle, IOT)
    s.check(
        "a cancelled release ends cancelled",
        kind == "failure" and isinstance(failure, CancelledError),
        failure_summary(failure),
    )
    progress = await s.caller.progress(handle, IOT)
    s.check("progress after the cancel still answers", isinstance(progress, dict), progress)


async def iot_invalid(s: Scenario) -> None:
    bad = iot_input(s.params, "1.0.0", publish="sometimes")
    await s.ends_invalid_input(IOT, bad, "an unknown publish mode")


# ---- dataSourceAttachment -------------------------------------------------------------------


def attachment_input(p: dict) -> dict:
    return {
        "applicationId": p["applicationId"],
        "dataSourceArn": p["dataSourceArn"],
        "pollIntervalSeconds": 0.2,
    }


async def attachment(s: Scenario) -> None:
    handle = await s.caller.start(ATTACHMENT, attachment_input(s.params))
    await s.caller.progress(handle, ATTACHMENT)
    kind, result = await s.caller.outcome(handle, ATTACHMENT)
    s.check("ends with a result", kind == "result", result if kind == "result" else failure_summary(result))
    if kind == "result":
        s.check("ATTACHED", result["status"] == "ATTACHED", result)


async def attachment_failed(s: Scenario) -> None:
    handle = await s.caller.start(ATTACHMENT, attachment_input(s.params))
    await s.caller.wait_progress(handle, ATTACHMENT, lambda p: p["phase"] == "waiting", "waiting")
    await s.report.checkpoint("fail-application")
    kind, failure = await s.caller.outcome(handle, ATTACHMENT)
    s.check(
        "ends with failure type AttachmentFailed and details",
        kind == "failure" and getattr(failure, "type", None) == "AttachmentFailed" and bool(failure.details),
        failure_summary(failure) if kind == "failure" else failure,
    )
    progress = await s.caller.progress(handle, ATTACHMENT)
    s.check("progress says failed", progress.get("outcome") == "failed", progress)


async def attachment_cancelled(s: Scenario) -> None:
    handle = await s.caller.start(ATTACHMENT, attachment_input(s.params), search_attributes=False)
    await s.caller.wait_progress(handle, ATTACHMENT, lambda p: p["phase"] == "waiting", "waiting")
    await s.second_start(ATTACHMENT, attachment_input(s.params), handle)
    await s.search_attributes(handle, ATTACHMENT, attachment_input(s.params))
    kind, failure = await s.cancelled(handle, ATTACHMENT)
    s.check(
        "a cancelled attachment ends cancelled",
        kind == "failure" and isinstance(failure, CancelledError),
        failure_summary(failure),
    )


async def attachment_invalid(s: Scenario) -> None:
    bad = {**attachment_input(s.params), "pollIntervalSeconds": 0}
    await s.ends_invalid_input(ATTACHMENT, bad, "a poll interval below the minimum")


# ---- pluginRollout --------------------------------------------------------------------------

# A ZIP's local file header signature: what AWS (and the emulator) first checks of a ZIP-PLUGIN.
ZIP_MAGIC = "PK\u0003\u0004"


def plugin_input(p: dict, **extra: Any) -> dict:
    return {
        "engineVersion": p["engineVersion"],
        "bundle": {
            "plugin": {
                "packageName": p["packageName"],
                "source": {"kind": "inline", "text": f"{ZIP_MAGIC}plugin {p['packageName']}"},
            }
        },
        "staging": {"bucket": p["stagingBucket"]},
        "domains": p["domains"],
        "pollIntervalSeconds": 0.2,
        **extra,
    }


async def plugin(s: Scenario) -> None:
    """A ZIP-PLUGIN installed on every domain, each through its blue/green deployment."""
    workflow_input = plugin_input(s.params)
    handle = await s.caller.start(PLUGIN, workflow_input)
    s.check(
        "started with the id from the contract's template",
        handle.id == f"plugin-rollout/{s.params['packageName']}",
        handle.id,
    )
    await s.second_start(PLUGIN, workflow_input, handle)
    deploying = await s.caller.wait_progress(
        handle, PLUGIN, lambda p: p["phase"] in ("deploying", "done"), "deploying"
    )
    s.check("progress names the plugin package", bool(deploying["packages"]), deploying)
    kind, result = await s.caller.outcome(handle, PLUGIN)
    s.check("ends with a result", kind == "result", result if kind == "result" else failure_summary(result))
    if kind == "result":
        s.check("outcome succeeded", result["outcome"] == "succeeded", result["outcome"])
        s.check(
            "every domain current", {d["state"] for d in result["domains"]} == {"current"}, result["domains"]
        )
        s.check(
            "one ZIP-PLUGIN package, created",
            [(p["role"], p["packageType"], p["change"]) for p in result["packages"]]
            == [("plugin", "ZIP-PLUGIN", "created")],
            result["packages"],
        )
        done = await s.caller.progress(handle, PLUGIN)
        s.check("progress still answers after the end", done["phase"] == "done", done)
    await s.search_attributes(handle, PLUGIN, workflow_input)


async def plugin_engine_mismatch(s: Scenario) -> None:
    """A domain on another engine version: refused before anything changes, naming that domain."""
    handle = await s.caller.start(PLUGIN, plugin_input(s.params))
    kind, failure = await s.caller.outcome(handle, PLUGIN)
    s.check(
        "ends with failure type EngineVersionMismatch",
        kind == "failure" and getattr(failure, "type", None) == "EngineVersionMismatch",
        failure_summary(failure) if kind == "failure" else failure,
    )
    s.check(
        "the failure names the domain on the other engine version",
        kind == "failure" and s.params["otherEngineDomain"] in str(failure),
        failure_summary(failure) if kind == "failure" else failure,
    )


async def plugin_invalid(s: Scenario) -> None:
    bad = plugin_input(s.params, engineVersion="OpenSearch 2.19")
    await s.ends_invalid_input(PLUGIN, bad, "an engine version not written OpenSearch_X.Y")
    await s.ends_invalid_input(PLUGIN, plugin_input(s.params, domains=[]), "no domains")


SCENARIOS: dict[str, Callable[[Scenario], Awaitable[None]]] = {
    "dictionary-gated": dictionary_gated,
    "dictionary-cancelled": dictionary_cancelled,
    "dictionary-failed-domain": dictionary_failed_domain,
    "dictionary-invalid": dictionary_invalid,
    "dictionary-listed": dictionary_listed,
    "removal": removal,
    "removal-failed-domain": removal_failed_domain,
    "removal-cancelled": removal_cancelled,
    "removal-invalid": removal_invalid,
    "iot-gated": iot_gated,
    "iot-signal": iot_signal,
    "iot-cancelled": iot_cancelled,
    "iot-invalid": iot_invalid,
    "attachment": attachment,
    "attachment-failed": attachment_failed,
    "attachment-cancelled": attachment_cancelled,
    "attachment-invalid": attachment_invalid,
    "plugin": plugin,
    "plugin-engine-mismatch": plugin_engine_mismatch,
    "plugin-invalid": plugin_invalid,
}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-queue", required=True)
    parser.add_argument("--schemas", required=True, type=Path)
    parser.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    parser.add_argument("--params", default="{}")
    args = parser.parse_args()

    report = Report(args.scenario)
    contract = Contract(args.schemas)
    client = await Client.connect(args.address, namespace=args.namespace)
    caller = Caller(client, contract, args.task_queue, report)
    try:
        await SCENARIOS[args.scenario](Scenario(caller, report, json.loads(args.params)))
    except Exception:  # the scenario broke: say where, after the checks it made
        caller.report_validations()
        report.emit({"event": "error", "trace": traceback.format_exc()})
        return 1
    caller.report_validations()
    report.emit({"event": "done", "failed": report.failed})
    return 0


if __name__ == "__main__":
    code = asyncio.run(main())
    # Everything is reported; leave without the interpreter's teardown, during which the SDK's
    # native runtime threads can end the process by a signal (an exit code of null to the caller).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
