"""LanternPay fault profiles: each one breaks exactly one requirement of the catalogue."""

from payercert.simulation import Fault

FAULTS = (
    Fault("root-without-links", "LP-HAL-1", "GET / answers 200 with a body that has no _links"),
    Fault("curies-as-object", "LP-HAL-5", "the root's curies is one object, not an array (as the document prints it)"),
    Fault("accept-wrong-secret", "LP-AUTH-4", "accepts Basic credentials with a wrong client secret"),
    Fault("invalid-invoice-200-empty", "LP-HTTP-4", "answers an invalid invoice with 200 and an empty body"),
    Fault("invalid-params-off-by-one", "LP-ERR-5", "invalidParams names claims[i+1] instead of the broken claims[i]"),
    Fault("status-title-too-long", "LP-WH-9", "sends statusTitle longer than 10 characters"),
    Fault("wrong-webhook-type", "LP-WH-4", "invoice updates carry type claiming.invoice.update"),
    Fault("webhook-id-changes-on-retry", "LP-WH-3", "every redelivery of an event carries a new id"),
    Fault("webhook-without-auth", "LP-WHA-1", "webhooks are delivered without the subscription's authentication"),
    Fault("retry-on-4xx", "LP-RETRY-2", "retries a webhook the handler answered with a 4xx"),
    Fault("no-second-level-retry", "LP-RETRY-4", "gives up after the first-level retries"),
    Fault("illegal-paid-to-pending", "LP-STATE-2", "a paid claim goes back to pending"),
    Fault("rejected-then-approved", "LP-STATE-3", "a rejected claim is later approved"),
    Fault(
        "predetermination-moves-claim",
        "LP-PRE-3",
        "a predetermination is followed by a claiming.invoice.updated webhook",
    ),
    Fault(
        "cancel-rejected-accepted", "LP-CAN-5", "accepts the cancellation of an invoice whose claims are all rejected"
    ),
    Fault("created-in-milliseconds", "LP-WH-1", "webhook created is epoch milliseconds, not seconds"),
    Fault("refused-cancel-stays-pending", "LP-CAN-3", "a refused cancellation leaves the claim in cancelPending"),
    Fault("approved-claim-resubmittable", "LP-STATE-5", "accepts a resubmission of an approved claim"),
)
