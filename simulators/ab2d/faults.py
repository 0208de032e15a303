"""AB2D fault profiles: each one breaks exactly one requirement of the catalogue."""

import json
import ssl
from datetime import UTC, datetime

from payercert.rewrite import Rewrite, drop, ignore, no_credentials, put, sent
from payercert.server import Listener
from payercert.simulation import Fault

BB = "https://bluebutton.cms.gov/resources"
EXPORT = r"/fhir/(Patient|Group/[^/]+)/\$export$"


def _export(version: str) -> str:
    return rf"/api/{version}/fhir/(Patient|Group/[^/]+)/\$export$"


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


def _in_the_future(value: str) -> bool:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) > datetime.now(UTC)
    except ValueError:
        return False


def _outcome(text: str) -> bytes:
    issue = {"severity": "error", "code": "invalid", "details": {"text": text}}
    return json.dumps({"resourceType": "OperationOutcome", "issue": [issue]}).encode()


def _first_item(change):
    def apply(eob):
        if eob.get("item"):
            change(eob["item"][0])

    return apply


def _mbi_system(system: str):
    def apply(eob):
        for extension in eob.get("extension", []):
            if "valueIdentifier" in extension:
                extension["valueIdentifier"]["system"] = system

    return apply


JSON = {"Content-Type": "application/fhir+json"}

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
    # the server ignores a parameter, or answers with another status, on some requests only
    Fault(
        "type-ignored",
        "AB2D-KICKOFF-4",
        "a _type other than ExplanationOfBenefit is not read: the export starts",
        Rewrite(EXPORT, query=ignore("_type")),
    ),
    Fault(
        "output-format-ignored",
        "AB2D-KICKOFF-5",
        "_outputFormat is not read: any value starts an export",
        Rewrite(EXPORT, query=ignore("_outputFormat")),
    ),
    Fault(
        "future-since-ignored",
        "AB2D-KICKOFF-6",
        "a _since in the future is not read: the export starts",
        Rewrite(EXPORT, query=ignore("_since", _in_the_future)),
    ),
    Fault(
        "since-refused",
        "AB2D-KICKOFF-7",
        "every kick-off with a _since answers 400",
        Rewrite(
            EXPORT,
            where=sent("_since"),
            status="202",
            to_status=400,
            text=lambda _: _outcome("Invalid _since"),
            headers={**JSON, "Content-Location": None},
        ),
    ),
    Fault(
        "v1-until-ignored",
        "AB2D-KICKOFF-8",
        "v1 does not read _until: the export starts",
        Rewrite(_export("v1"), query=ignore("_until")),
    ),
    Fault(
        "maintenance-ignored",
        "AB2D-KICKOFF-11",
        "a kick-off in maintenance mode answers 202",
        Rewrite(r"^/maintenance/.*\$export$", status="503", to_status=202, text=lambda _: b""),
    ),
    Fault(
        "system-export-exists",
        "AB2D-KICKOFF-12",
        "[base]/$export answers 202",
        Rewrite(r"/fhir/\$export$", status="404", to_status=202, text=lambda _: b""),
    ),
    Fault(
        "v1-expires-in-the-past",
        "AB2D-JOB-3",
        "a finished v1 job's Expires is a date in the past",
        Rewrite(_status("v1"), status="200", headers={"Expires": "Thu, 01 Jan 2026 00:00:00 GMT"}),
    ),
    Fault(
        "job-id-without-dashes",
        "AB2D-JOB-5",
        "Content-Location names the job by 32 hex digits, not a UUID",
        Rewrite(EXPORT, status="202", headers={"Content-Location": lambda v: v and v.replace("-", "")}),
    ),
    Fault(
        "v2-gzip-unlabelled",
        "AB2D-DOWNLOAD-2",
        "a v2 file asked for with gzip is gzip without Content-Encoding",
        Rewrite(_file("v2"), headers={"Content-Encoding": None}),
    ),
    Fault(
        "file-served-without-token",
        "AB2D-DOWNLOAD-3",
        "a v1 file request without a token is answered 200",
        Rewrite(_file("v1"), where=no_credentials, status="401", to_status=200, text=lambda _: b"{}\n"),
    ),
    Fault(
        "download-limit-not-kept",
        "AB2D-DOWNLOAD-4",
        "a v2 file downloaded past the limit is served (200)",
        Rewrite(_file("v2"), status="500", to_status=200, text=lambda _: b""),
    ),
    Fault(
        "download-limit-403",
        "AB2D-DOWNLOAD-5",
        "a v2 file downloaded past the limit answers 403, not the reading's status",
        Rewrite(_file("v2"), status="500", to_status=403),
    ),
    Fault(
        "bad-file-name-400",
        "AB2D-DOWNLOAD-6",
        "a file request the server cannot serve answers 400 instead of 404",
        Rewrite(r"/fhir/Job/[^/]+/file/", status="404", to_status=400),
    ),
    Fault(
        "finished-job-delete-202",
        "AB2D-CANCEL-3",
        "DELETE on a finished job answers 202 with no body",
        Rewrite(r"/fhir/Job/[^/]+/\$status$", method="DELETE", status="400", to_status=202, text=lambda _: b""),
    ),
    Fault(
        "other-sponsor-cancel-202",
        "AB2D-ISOLATION-2",
        "another client's DELETE of my job answers 202 (the job runs on)",
        Rewrite(r"/fhir/Job/[^/]+/\$status$", method="DELETE", status="403", to_status=202),
    ),
    Fault(
        "other-sponsor-download-200",
        "AB2D-ISOLATION-3",
        "another client's download of my file answers 200",
        Rewrite(r"/fhir/Job/[^/]+/file/", status="403", to_status=200, text=lambda _: b""),
    ),
    Fault(
        "foreign-group-export-202",
        "AB2D-ISOLATION-4",
        "a Group export of another sponsor's contract answers 202",
        Rewrite(r"/fhir/Group/[^/]+/\$export$", status="403", to_status=202, text=lambda _: b""),
    ),
    Fault(
        "v2-eob-of-another-patient",
        "AB2D-ISOLATION-5",
        "every v2 EOB is about a patient outside the contract",
        Rewrite(_file("v2"), lines=put("patient", {"reference": "Patient/-19990000099999"})),
    ),
    Fault(
        "error-outcome-without-issues",
        "AB2D-ERR-1",
        "every 400 OperationOutcome has no issue",
        Rewrite(r"/fhir/", status="400", edit=put("issue", [])),
    ),
    Fault(
        "error-outcome-without-text",
        "AB2D-ERR-2",
        "400 OperationOutcome issues carry no details.text",
        Rewrite(r"/fhir/", status="400", edit=lambda o: [i.pop("details", None) for i in o.get("issue", [])]),
    ),
    Fault(
        "v3-refusal-unexplained",
        "AB2D-V3-1",
        'a v3 kick-off refused for the allow-list says only "Forbidden"',
        Rewrite(_export("v3"), status="403", edit=_issue_text("Forbidden")),
    ),
    Fault(
        "v3-type-filter-ignored",
        "AB2D-V3-2",
        "v3 does not read _typeFilter: any value starts an export",
        Rewrite(_export("v3"), query=ignore("_typeFilter")),
    ),
    Fault(
        "v3-since-floor-ignored",
        "AB2D-V3-3",
        "v3 does not read _since: one before 2026-04-01 starts an export",
        Rewrite(_export("v3"), query=ignore("_since")),
    ),
    Fault(
        "v3-group-export-202",
        "AB2D-V3-4",
        "a v3 Group export answers 202",
        Rewrite(r"/api/v3/fhir/Group/[^/]+/\$export$", status="404", to_status=202, text=lambda _: b""),
    ),
    Fault(
        "v3-eob-keeps-total",
        "AB2D-V3-6",
        "every v3 EOB keeps total, which the v3 trimmer drops",
        Rewrite(_file("v3"), lines=put("total", [{"category": {"text": "submitted"}, "amount": {"value": 10}}])),
    ),
    Fault(
        "v2-eob-extra-extension",
        "AB2D-EOB-8",
        "every v2 EOB carries a top-level clm_disp_cd extension",
        Rewrite(
            _file("v2"),
            lines=lambda eob: eob.setdefault("extension", []).append(
                {"url": f"{BB}/variables/clm_disp_cd", "valueCoding": {"code": "1"}}
            ),
        ),
    ),
    Fault(
        "v1-mbi-system-hicn",
        "AB2D-EOB-9",
        "every v1 EOB's MBI has the HICN system",
        Rewrite(_file("v1"), lines=_mbi_system("https://bluebutton.cms.gov/resources/identifier/hicn-hash")),
    ),
    Fault(
        "v2-item-sequence-0",
        "AB2D-EOB-11",
        "every v2 EOB's first item has sequence 0",
        Rewrite(_file("v2"), lines=_first_item(put("sequence", 0))),
    ),
    Fault(
        "v1-precedence-as-text",
        "AB2D-EOB-13",
        'every v1 EOB has precedence "0", a string',
        Rewrite(_file("v1"), lines=put("precedence", "0")),
    ),
    Fault(
        "v2-supporting-info-not-drg",
        "AB2D-EOB-14",
        "every v2 EOB carries supportingInfo of another category than the DRG",
        Rewrite(
            _file("v2"),
            lines=put(
                "supportingInfo",
                [
                    {
                        "sequence": 1,
                        "category": {"coding": [{"system": f"{BB}/variables/nch_blood_pnts_frnshd_qty"}]},
                        "code": {"coding": [{"system": f"{BB}/variables/nch_blood_pnts_frnshd_qty", "code": "1"}]},
                    }
                ],
            ),
        ),
    ),
    Fault(
        "token-without-expires-in",
        "AB2D-AUTH-2",
        "the token response has no expires_in",
        Rewrite(r"/v1/token$", method="POST", edit=drop("expires_in")),
    ),
    Fault(
        "bad-secret-gets-token",
        "AB2D-AUTH-3",
        "a token request with bad credentials is answered 200 with a token",
        Rewrite(
            r"/v1/token$",
            method="POST",
            status="4..",
            to_status=200,
            text=lambda _: b'{"access_token":"e30.e30.","token_type":"Bearer","expires_in":3600}',
            headers={"Content-Type": "application/json"},
        ),
    ),
    Fault(
        "v2-status-without-token-200",
        "AB2D-AUTH-5",
        "a v2 status poll without Authorization is answered 200",
        Rewrite(_status("v2"), where=no_credentials, status="401", to_status=200, text=lambda _: b"{}", headers=JSON),
    ),
    Fault(
        "tls-1-1-accepted",
        "AB2D-AUTH-9",
        "the API also completes a handshake that offers only TLS 1.1",
        listener=Listener(oldest_tls=ssl.TLSVersion.TLSv1_1),
    ),
    Fault(
        "refusal-as-html-page",
        "AB2D-ERR-4",
        "a request without a token is refused 401 with a gateway's HTML error page",
        Rewrite(
            _status("v1"),
            where=no_credentials,
            status="401",
            text=lambda _: (
                b"<html><head><title>401 Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
            ),
            headers={"Content-Type": "text/html"},
        ),
    ),
)
