"""WebBBS conformance suite (specs/webbbs)."""
