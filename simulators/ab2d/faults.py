"""AB2D fault profiles: each one breaks exactly one requirement of the catalogue."""

from payercert.simulation import Fault

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
    Fault("wrong-checksum", "AB2D-MANIFEST-9", "the checksum extension is the sha256 of the gzip bytes"),
    Fault("token-query-ignored", "AB2D-AUTH-10", "the token URL reads grant_type and scope from the form body only"),
)
