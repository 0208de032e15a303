"""The webhook-receiver suite: the harness plays TPA Stream and posts signed claim webhooks to the
user's own receiver (`payercert certify --feed tpastream --suite webhook-receiver [--receiver-url URL
--signing-key FILE]`).

It certifies the user's side: the catalogue's client requirements of the webhooks area.
"""

CLIENT_AREAS = ("webhooks",)
