"""What a Python team builds from schemas/ alone: the contract index, strict JSON Schema validators
for every payload, workflow ids from the contract's templates, and a report of checks.

Nothing here knows the TypeScript code: every name (workflow types, messages, failure types,
schema files, id templates) is read from schemas/contract.json.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable

import regex
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, CancelledError

# The Temporal type names contract.json uses, as the Python SDK spells them.
_SEARCH_ATTRIBUTE_KEYS = {
    "Keyword": SearchAttributeKey.for_keyword,
    "KeywordList": SearchAttributeKey.for_keyword_list,
    "Int": SearchAttributeKey.for_int,
    "Text": SearchAttributeKey.for_text,
    "Bool": SearchAttributeKey.for_bool,
    "Double": SearchAttributeKey.for_float,
}


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any):
    """JSON Schema patterns are ECMA-262 expressions (\\p{Cc}, ...): Python's re rejects some."""
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _ecma_pattern_properties(validator: Any, properties: dict, instance: Any, schema: Any):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        for key, value in instance.items():
            if regex.search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


# The metaschema checks that every pattern is a 'regex': the same ECMA-262 reading applies there.
ECMA_FORMATS = FormatChecker()
ECMA_FORMATS.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)
ECMA_FORMATS.checks("regex", raises=regex.error)(
    lambda instance: not isinstance(instance, str) or bool(regex.compile(instance))
)

StrictValidator = validators.extend(
    Draft202012Validator,
    {"pattern": _ecma_pattern, "patternProperties": _ecma_pattern_properties},
    format_checker=ECMA_FORMATS,
)


NO_ARGUMENT = None
"""Messages that take no argument are sent without one; None stands for 'nothing'."""


class Contract:
    """schemas/contract.json and the schema files it names."""

    def __init__(self, schemas_dir: Path) -> None:
        self.dir = schemas_dir
        self.index = json.loads((schemas_dir / "contract.json").read_text("utf-8"))
        self.workflows = {w["workflowType"]: w for w in self.index["workflows"]}
        self._validators: dict[str, Any] = {}

    def workflow(self, workflow_type: str) -> dict:
        return self.workflows[workflow_type]

    def validator(self, file_name: str) -> Any:
        if file_name not in self._validators:
            schema = json.loads((self.dir / file_name).read_text("utf-8"))
            # The schema itself must be valid draft 2020-12, or nothing it says can be trusted.
            StrictValidator.check_schema(schema, format_checker=ECMA_FORMATS)
            self._validators[file_name] = StrictValidator(schema, format_checker=ECMA_FORMATS)
        return self._validators[file_name]

    def problems(self, file_name: str, instance: Any) -> list[str]:
        """Every violation, as '<json path>: <message>' (empty when valid)."""
        found = self.validator(file_name).iter_errors(instance)
        return [f"{e.json_path}: {e.message}" for e in sorted(found, key=lambda e: e.json_path)]

    @staticmethod
    def fill(template: list[dict], workflow_input: dict) -> Any:
        """A contract template: {"text"} parts as they are, {"inputField": [a, b]} the first field
        the input has (a name with dots is a path into nested objects). A template that is one
        field alone keeps the field's JSON value (a list)."""

        def at(path: str) -> Any:
            value: Any = workflow_input
            for key in path.split("."):
                if not isinstance(value, dict) or key not in value:
                    return None
                value = value[key]
            return value

        values = []
        for part in template:
            if "text" in part:
                values.append(part["text"])
                continue
            present = [name for name in part["inputField"] if at(name) is not None]
            if not present:
                raise KeyError(f"input has none of {part['inputField']}")
            values.append(at(present[0]))
        return values[0] if len(values) == 1 else "".join(str(v) for v in values)

    def workflow_id(self, workflow_type: str, workflow_input: dict) -> str:
        return self.fill(self.workflow(workflow_type)["workflowIdTemplate"], workflow_input)

    def message(self, workflow_type: str, kind: str, name: str) -> dict:
        """A query, update or signal as the contract describes it (argument, answer, refusal)."""
        for m in self.workflow(workflow_type)["messages"]:
            if m["kind"] == kind and m["name"] == name:
                return m
        raise KeyError(f"contract lists no {kind} '{name}' for {workflow_type}")

    def search_attributes_at_start(
        self, workflow_type: str, workflow_input: dict, fixed_only: bool = False
    ) -> TypedSearchAttributes:
        """What the contract says a caller may set at start (the workflow sets the same itself);
        fixed_only: without those the workflow changes as it runs (RolloutStatus)."""
        pairs = []
        for sa in self.workflow(workflow_type)["searchAttributesAtStart"]:
            if fixed_only and sa.get("changesWhileRunning"):
                continue
            try:
                value = self.fill(sa["value"], workflow_input)
            except KeyError:
                continue  # e.g. RolloutDomains of a removal from 'all' domains: not set
            if sa["type"] == "KeywordList" and not isinstance(value, list):
                continue
            if (
                "maxJsonBytes" in sa
                and len(json.dumps(value, separators=(",", ":")).encode()) > sa["maxJsonBytes"]
            ):
                continue
            pairs.append(SearchAttributePair(_SEARCH_ATTRIBUTE_KEYS[sa["type"]](sa["name"]), value))
        return TypedSearchAttributes(pairs)


class Report:
    """One JSON line per check on stdout; the vitest side asserts on them."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.failed = 0

    def emit(self, event: dict) -> None:
        print(json.dumps(event), flush=True)

    def check(self, name: str, ok: bool, detail: Any = None) -> bool:
        self.emit({"event": "check", "name": name, "ok": bool(ok), "detail": detail})
        if not ok:
            self.failed += 1
        return bool(ok)

    async def checkpoint(self, name: str, data: Any = None) -> None:
        """Asks the test to act on the outside world (e.g. fail an application), then waits."""
        self.emit({"event": "checkpoint", "name": name, "data": data})
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        if line.strip() != "go":
            raise RuntimeError(f"checkpoint {name}: no go from the test ({line!r})")


class Caller:
    """A caller in Python: every payload it sends or receives is checked against its schema."""

    def __init__(self, client: Client, contract: Contract, task_queue: str, report: Report) -> None:
        self.client = client
        self.contract = contract
        self.task_queue = task_queue
        self.report = report
        # label -> [payloads validated, problems]: reported once per label at the end.
        self.validated: dict[str, list] = {}

    def validate(self, label: str, file_name: str, payload: Any) -> list[str]:
        problems = self.contract.problems(file_name, payload)
        entry = self.validated.setdefault(label, [0, [], file_name])
        entry[0] += 1
        entry[1].extend(problems[:5])
        return problems

    def report_validations(self) -> None:
        for label, (count, problems, file_name) in self.validated.items():
            self.report.check(
                f"{label} valid per {file_name}",
                not problems,
                {"payloads": count, "problems": problems[:10]},
            )

    async def start(
        self, workflow_type: str, workflow_input: dict, search_attributes: bool = True
    ) -> WorkflowHandle:
        """Starts as the contract says: its type, the id from its template and the id policies,
        the task queue, and (unless told not to) the search attributes a caller may set at start."""
        workflow = self.contract.workflow(workflow_type)
        problems = self.validate(f"{workflow_type} input", workflow["input"], workflow_input)
        if problems:
            raise AssertionError(f"test input breaks the input schema: {problems}")
        return await self.client.start_workflow(
            workflow_type,
            workflow_input,
            id=self.contract.workflow_id(workflow_type, workflow_input),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy[workflow["workflowIdConflictPolicy"]],
            id_reuse_policy=WorkflowIDReusePolicy[workflow["workflowIdReusePolicy"]],
            search_attributes=(
                self.contract.search_attributes_at_start(workflow_type, workflow_input)
                if search_attributes
                else None
            ),
        )

    async def query(self, handle: WorkflowHandle, workflow_type: str, name: str) -> Any:
        message = self.contract.message(workflow_type, "query", name)
        answer = await handle.query(name)
        self.validate(f"{workflow_type} {name} query answer", message["answer"], answer)
        return answer

    def _argument(self, workflow_type: str, message: dict, arg: Any) -> list:
        if message.get("argument") is None:
            if arg is not NO_ARGUMENT:
                raise AssertionError(f"{message['name']} takes no argument, per the contract")
            return []
        if arg is NO_ARGUMENT:
            return []
        self.validate(
            f"{workflow_type} {message['name']} {message['kind']} argument", message["argument"], arg
        )
        return [arg]

    async def update(self, handle: WorkflowHandle, workflow_type: str, name: str, arg: Any = None) -> Any:
        message = self.contract.message(workflow_type, "update", name)
        answer = await handle.execute_update(name, args=self._argument(workflow_type, message, arg))
        if message.get("answer") is not None:
            self.validate(f"{workflow_type} {name} update answer", message["answer"], answer)
        elif answer is not None:
            raise AssertionError(f"update {name} answered {answer!r}; the contract says it answers nothing")
        return answer

    async def signal(self, handle: WorkflowHandle, workflow_type: str, name: str, arg: Any = None) -> None:
        message = self.contract.message(workflow_type, "signal", name)
        await handle.signal(name, args=self._argument(workflow_type, message, arg))

    async def start_unchecked(self, workflow_type: str, workflow_input: dict) -> WorkflowHandle:
        """Bad input on purpose: what a caller without a validator would send."""
        try:
            workflow_id = self.contract.workflow_id(workflow_type, workflow_input)
        except KeyError:  # input without the fields the id is made of: any id will do
            workflow_id = f"{workflow_type}/invalid-{uuid.uuid4()}"
        return await self.client.start_workflow(
            workflow_type, workflow_input, id=workflow_id, task_queue=self.task_queue
        )

    async def progress(self, handle: WorkflowHandle, workflow_type: str) -> dict:
        return await self.query(handle, workflow_type, "progress")

    async def wait_progress(
        self,
        handle: WorkflowHandle,
        workflow_type: str,
        until: Callable[[dict], bool],
        what: str,
        timeout_s: float = 60,
    ) -> dict:
        deadline = time.monotonic() + timeout_s
        while True:
            answer = await self.progress(handle, workflow_type)
            if until(answer):
                return answer
            if time.monotonic() > deadline:
                raise TimeoutError(f"progress never showed {what}; last: {json.dumps(answer)[:500]}")
            await asyncio.sleep(0.1)

    async def outcome(self, handle: WorkflowHandle, workflow_type: str) -> tuple[str, Any]:
        """('result', value) or ('failure', error); a result is validated against its schema."""
        workflow = self.contract.workflow(workflow_type)
        try:
            value = await handle.result()
        except WorkflowFailureError as err:
            return "failure", err.cause
        self.validate(f"{workflow_type} result", workflow["result"], value)
        return "result", value

    def result_in_failure(self, workflow_type: str, failure: Any) -> dict | None:
        """For the failure types the contract says carry the result: that result, validated."""
        workflow = self.contract.workflow(workflow_type)
        if not isinstance(failure, ApplicationError):
            return None
        if failure.type not in self.contract.index["failureTypesCarryingResult"]:
            return None
        detail = failure.details[0] if failure.details else None
        self.validate(f"{workflow_type} result in {failure.type} details", workflow["result"], detail)
        return detail


def failure_summary(failure: Any) -> dict:
    """What a caller sees of a failure: class, type, message, details."""
    return {
        "class": type(failure).__name__,
        "type": getattr(failure, "type", None),
        "message": str(failure)[:300],
        "details": list(getattr(failure, "details", None) or [])[:2],
        "cancelled": isinstance(failure, CancelledError),
    }


async def soon(what: Awaitable[Any], timeout_s: float = 120) -> Any:
    return await asyncio.wait_for(what, timeout_s)
