"""The webhook-handler suite: the harness plays LanternPay towards the user's own webhook handler
(`payercert certify --feed lanternpay --suite webhook-handler [--webhook-url URL --webhook-auth ...]`).

It certifies the user's side: the catalogue's client requirements of the webhook-handler area.
"""

CLIENT_AREAS = ("webhook-handler",)
