"""AB2D fault profiles: each one breaks exactly one requirement of the catalogue."""

from payercert.rewrite import Rewrite, put
from payercert.simulation import Fault


def _status(version: str) -> str:
    return rf"/api/{version}/fhir/Job/[^/]+/\$status$"


def _file(version: str) -> str:
    return rf"/api/{version}/fhir/Job/[^/]+/file/"


def _outputs(change):
    """A change to every output entry of a manifest."""

    def apply(manifest):
        for entry in manifest.get("output", []):
            change(entry)

    return apply


def _issue_text(text: str):
    def apply(outcome):
        for issue in outcome.get("issue", []):
            issue.setdefault("details", {})["text"] = text

    return apply


FAULTS = (
    Fault("no-content-location", "AB2D-KICKOFF-1", "a kick-off answers 202 without Content-Location"),
    Fault("kickoff-200", "AB2D-KICKOFF-1", "a kick-off answers 200 instead of 202 (with Content-Location)"),
    Fault("no-retry-after", "AB2D-STATUS-1", "a running job's 202 has no Retry-After"),
    Fault("no-x-progress", "AB2D-STATUS-1", "a running job's 202 has no X-Progress"),
    Fault("manifest-no-transaction-time", "AB2D-MANIFEST-1", "the manifest has no transactionTime"),
    Fault("manifest-wrong-output-type", "AB2D-MANIFEST-5", "output entries say type Patient"),
    Fault(
        "file-url-outside-job",
        "AB2D-MANIFEST-6",
        "output urls name another job's path (the file is still served there)",
    ),
    Fault("eob-wrong-resource-type", "AB2D-EOB-1", "one line of every file is a Claim, not an ExplanationOfBenefit"),
    Fault("eob-missing-patient", "AB2D-EOB-3", "one line of every file has no patient"),
    Fault("eob-invalid-date", "AB2D-EOB-12", "one line's billablePeriod.start is 2020/03/01, not a FHIR date"),
    Fault(
        "eob-outside-subset", "AB2D-EOB-2", "one line of every file keeps benefitBalance, outside the allowed subset"
    ),
    Fault("download-wrong-content-type", "AB2D-DOWNLOAD-1", "files are served as application/json"),
    Fault("delete-ignored", "AB2D-CANCEL-1", "DELETE answers 202 but the job runs on and completes"),
    Fault("expired-token-accepted", "AB2D-AUTH-6", "an expired bearer token is accepted"),
    Fault("other-sponsor-reads-job", "AB2D-ISOLATION-1", "another sponsor's client can poll a job's status"),
    Fault("second-job-accepted", "AB2D-JOB-1", "a kick-off while a job runs starts a second job"),
    Fault("long-job-runs-on", "AB2D-JOB-4", "a job whose claims never come runs on past the job time limit"),
    Fault("wrong-checksum", "AB2D-MANIFEST-9", "the checksum extension is the sha256 of the gzip bytes"),
    Fault("token-query-ignored", "AB2D-AUTH-10", "the token URL reads grant_type and scope from the form body only"),
    # answers changed on one API version or endpoint only (payercert/rewrite.py)
    Fault(
        "v3-manifest-request-of-v2",
        "AB2D-MANIFEST-2",
        "a v3 manifest's request names the v2 kick-off URL",
        Rewrite(_status("v3"), json=lambda m: {**m, "request": m.get("request", "").replace("/api/v3/", "/api/v2/")}),
    ),
    Fault(
        "v2-manifest-access-token-not-required",
        "AB2D-MANIFEST-3",
        "a v2 manifest says requiresAccessToken false",
        Rewrite(_status("v2"), edit=put("requiresAccessToken", False)),
    ),
    Fault(
        "v1-manifest-output-without-url",
        "AB2D-MANIFEST-4",
        "a v1 manifest's output entries have no url",
        Rewrite(_status("v1"), edit=_outputs(lambda entry: entry.pop("url", None))),
    ),
    Fault(
        "v2-manifest-error-null",
        "AB2D-MANIFEST-7",
        "a v2 manifest says error null instead of an empty array",
        Rewrite(_status("v2"), edit=put("error", None)),
    ),
    Fault(
        "v3-manifest-without-checksum",
        "AB2D-MANIFEST-8",
        "a v3 manifest's output entries have no extensions",
        Rewrite(_status("v3"), edit=_outputs(lambda entry: entry.pop("extension", None))),
    ),
    Fault(
        "v3-finished-job-as-text",
        "AB2D-STATUS-4",
        "a finished v3 job's manifest is sent as text/plain",
        Rewrite(_status("v3"), status="200", headers={"Content-Type": "text/plain"}),
    ),
    Fault(
        "v2-unknown-job-unnamed",
        "AB2D-STATUS-6",
        'an unknown v2 job\'s 404 says "Not found" without naming the job',
        Rewrite(_status("v2"), status="404", edit=_issue_text("Not found")),
    ),
    Fault(
        "v3-metadata-not-a-capability-statement",
        "AB2D-META-1",
        "v3 metadata answers a Bundle",
        Rewrite(r"/api/v3/fhir/metadata$", edit=put("resourceType", "Bundle")),
    ),
    Fault(
        "v3-download-with-bom",
        "AB2D-NDJSON-2",
        "a v3 export file starts with a UTF-8 byte order mark",
        Rewrite(_file("v3"), text=lambda body: b"\xef\xbb\xbf" + body),
    ),
    Fault(
        "v2-download-cut-short",
        "AB2D-NDJSON-1",
        "a v2 export file's last line is cut in the middle",
        Rewrite(_file("v2"), text=lambda body: body.rstrip(b"\n")[:-7]),
    ),
    Fault(
        "v1-eob-two-identifiers-made-one",
        "AB2D-EOB-5",
        "every v1 EOB carries only its first identifier",
        Rewrite(_file("v1"), lines=lambda eob: eob.update(identifier=eob.get("identifier", [])[:1])),
    ),
    Fault(
        "v2-eob-status-draft",
        "AB2D-EOB-7",
        "every v2 EOB's status is draft",
        Rewrite(_file("v2"), lines=put("status", "draft")),
    ),
    Fault(
        "v3-eob-without-items",
        "AB2D-EOB-10",
        "every v3 EOB has an empty item",
        Rewrite(_file("v3"), lines=put("item", [])),
    ),
    Fault(
        "too-soon-without-retry-after",
        "AB2D-STATUS-2",
        "a 429 for polling too soon has no Retry-After",
        Rewrite(r"/fhir/Job/[^/]+/\$status$", status="429", headers={"Retry-After": None}),
    ),
    Fault(
        "cancelled-job-code-not-found",
        "AB2D-CANCEL-2",
        "polling a cancelled job answers issue code not-found instead of deleted",
        Rewrite(
            r"/fhir/Job/[^/]+/\$status$",
            status="404",
            edit=lambda o: [i.update(code="not-found") for i in o.get("issue", []) if i.get("code") == "deleted"],
        ),
    ),
    Fault(
        "v2-eob-id-uppercase",
        "AB2D-EOB-4",
        "every v2 EOB's id has its claim type in upper case (CARRIER-...)",
        Rewrite(_file("v2"), lines=lambda eob: eob.update(id=str(eob.get("id", "")).upper())),
    ),
    Fault(
        "v1-eob-two-type-codings",
        "AB2D-EOB-6",
        "every v1 EOB's type has only its first two codings",
        Rewrite(
            _file("v1"), lines=lambda eob: eob.get("type", {}).update(coding=eob.get("type", {}).get("coding", [])[:2])
        ),
    ),
    Fault(
        "v2-eob-billed-in-2019",
        "AB2D-EOB-15",
        "every v2 EOB's billablePeriod is in June 2019",
        Rewrite(_file("v2"), lines=put("billablePeriod", {"start": "2019-06-01", "end": "2019-06-30"})),
    ),
    Fault(
        "v1-eob-resource-type-twice",
        "AB2D-NDJSON-5",
        "every line of a v1 export file names resourceType twice",
        Rewrite(
            _file("v1"),
            text=lambda body: body.replace(
                b'{"resourceType":', b'{"resourceType":"ExplanationOfBenefit","resourceType":'
            ),
        ),
    ),
    Fault(
        "failed-job-unexplained",
        "AB2D-STATUS-5",
        'a failed job answers 500 with "Internal error" instead of "Job failed while processing"',
        Rewrite(r"/fhir/Job/[^/]+/\$status$", status="500", edit=_issue_text("Internal error")),
    ),
)
