"""Fault profiles of the WebBBS SFTP channel: each breaks exactly one requirement of the catalogue."""

from payercert.simulation import Fault

SFTP_FAULTS = (
    Fault("sftp-upload-dir-missing", "WEBBBS-SFTP-2", "the Trading Partner's home has no upload/ folder"),
    Fault("sftp-expired-password-accepted", "WEBBBS-PASSWORD-8", "logs in with a password older than 90 days"),
    Fault(
        "sftp-outside-home-served",
        "WEBBBS-SFTP-8",
        "serves paths outside /home/edi/<TPID>: the root, /home/edi and other partners' homes",
    ),
    Fault("sftp-any-password-accepted", "WEBBBS-SFTP-1", "logs a Trading Partner in whatever the password"),
    Fault("sftp-no-response-file", "WEBBBS-SFTP-3", "accepts an X12 upload but puts no answer in download/"),
)
