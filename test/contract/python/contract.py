"""What a Python team builds from schemas/ alone: the contract index, strict JSON Schema validators
for every payload, workflow ids from the contract's templates, and a report of checks.

Nothing here knows the TypeScript code: every name (workflow types, messages, failure types,
schema files, id templates) is read from schemas/contract.json.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

import regex
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError, CancelledError


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

    def workflow_id(self, workflow_type: str, workflow_input: dict) -> str:
        """Fills the contract's id template: '<a or b>' takes whichever field the input has."""

        def field(match: re.Match[str]) -> str:
            for name in match.group(1).split(" or "):
                if name in workflow_input:
                    return str(workflow_input[name])
            raise KeyError(f"input has none of {match.group(1)}")

        return re.sub(r"<([^>]+)>", field, self.workflow(workflow_type)["workflowId"])


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

    async def start(self, workflow_type: str, workflow_input: dict, **options: Any) -> WorkflowHandle:
        """Starts as the contract says: its type, the id from its template, the task queue."""
        workflow = self.contract.workflow(workflow_type)
        problems = self.validate(f"{workflow_type} input", workflow["input"], workflow_input)
        if problems:
            raise AssertionError(f"test input breaks the input schema: {problems}")
        workflow_id = self.contract.workflow_id(workflow_type, workflow_input)
        return await self.client.start_workflow(
            workflow_type, workflow_input, id=workflow_id, task_queue=self.task_queue, **options
        )

    async def start_unchecked(self, workflow_type: str, workflow_input: dict) -> WorkflowHandle:
        """Bad input on purpose: what a caller without a validator would send."""
        workflow_id = self.contract.workflow_id(workflow_type, workflow_input)
        return await self.client.start_workflow(
            workflow_type, workflow_input, id=workflow_id, task_queue=self.task_queue
        )

    async def progress(self, handle: WorkflowHandle, workflow_type: str) -> dict:
        workflow = self.contract.workflow(workflow_type)
        answer = await handle.query(workflow["queries"][0])
        self.validate(f"{workflow_type} progress", workflow["progress"], answer)
        return answer

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
